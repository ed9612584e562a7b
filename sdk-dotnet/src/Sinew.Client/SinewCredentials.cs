// Credentials sent in the handshake: a user name and password, or a bearer token.
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client;

/// <summary>Credentials for a broker that requires authentication. Create them with <see cref="Plain"/> or
/// <see cref="Token"/>. The secret is never printed.</summary>
public sealed record SinewCredentials
{
    private SinewCredentials(Wire.AuthMechanism mechanism, string identity, string secret)
    {
        Mechanism = mechanism;
        Identity = identity;
        Secret = secret;
    }

    /// <summary>A user name and password (mechanism <c>plain</c>).</summary>
    public static SinewCredentials Plain(string userName, string password)
    {
        ArgumentNullException.ThrowIfNull(userName);
        ArgumentNullException.ThrowIfNull(password);
        return new SinewCredentials(Wire.AuthMechanism.Plain, userName, password);
    }

    /// <summary>A bearer token (mechanism <c>token</c>).</summary>
    public static SinewCredentials Token(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return new SinewCredentials(Wire.AuthMechanism.Token, string.Empty, token);
    }

    /// <summary>The user name; empty for a token.</summary>
    public string UserName => Identity;

    /// <summary>Whether these are a bearer token rather than a user name and password.</summary>
    public bool IsToken => Mechanism == Wire.AuthMechanism.Token;

    internal Wire.AuthMechanism Mechanism { get; }

    internal string Identity { get; }

    internal string Secret { get; }

    internal Wire.Auth ToWire() => new(Mechanism, Identity, Secret);

    /// <summary>Describes the credentials without their secret.</summary>
    public override string ToString() => IsToken ? "SinewCredentials { Token = *** }" : $"SinewCredentials {{ UserName = {UserName}, Password = *** }}";
}
