// Record DeadLetterPolicy: where a queue's dead messages go.
using MessagePack;
using Sinew.Protocol.Encoding;

namespace Sinew.Protocol.Messages;

/// <summary>A queue's dead-letter policy.</summary>
/// <param name="Kind">Discard, global target, or a named queue.</param>
/// <param name="Topic">Target topic when <paramref name="Kind"/> is <see cref="DeadLetterKind.Queue"/>.</param>
/// <param name="Group">Target group, if any.</param>
public sealed record DeadLetterPolicy(DeadLetterKind Kind, string? Topic = null, string? Group = null) : IRecordCodec
{
    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(3);
        BodyWriter.Enum(ref writer, (byte)Kind);
        BodyWriter.OptionalStr(ref writer, Topic);
        BodyWriter.OptionalStr(ref writer, Group);
    }

    internal static DeadLetterPolicy Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("dead_letter");
        var value = new DeadLetterPolicy(
            reader.Enum<DeadLetterKind>(ref n, "dead_letter.kind"),
            reader.OptionalStr(ref n, "dead_letter.topic"),
            reader.OptionalStr(ref n, "dead_letter.group"));
        reader.CloseRecord(n);
        return value;
    }
}
