// Record Auth: credentials in Hello.
using MessagePack;
using Sinew.Protocol.Encoding;

namespace Sinew.Protocol.Messages;

/// <summary>Credentials offered in <see cref="Hello"/>.</summary>
/// <param name="Mechanism">How to read the other two fields.</param>
/// <param name="Identity">User name for <see cref="AuthMechanism.Plain"/>; empty for a token.</param>
/// <param name="Secret">Password or token.</param>
public sealed record Auth(AuthMechanism Mechanism, string Identity, string Secret) : IRecordCodec
{
    /// <summary>Never prints the secret.</summary>
    public override string ToString() => $"Auth {{ Mechanism = {Mechanism}, Identity = {Identity}, Secret = *** }}";

    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(3);
        BodyWriter.Enum(ref writer, (byte)Mechanism);
        BodyWriter.Str(ref writer, Identity);
        BodyWriter.Str(ref writer, Secret);
    }

    internal static Auth Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("auth");
        var value = new Auth(
            reader.Enum<AuthMechanism>(ref n, "auth.mechanism"),
            reader.Str(ref n, "auth.identity"),
            reader.Str(ref n, "auth.secret"));
        reader.CloseRecord(n);
        return value;
    }
}
