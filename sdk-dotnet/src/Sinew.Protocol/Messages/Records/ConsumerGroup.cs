// Record ConsumerGroup: options for joining a queue's exclusive consumer group.
using MessagePack;
using Sinew.Protocol.Encoding;

namespace Sinew.Protocol.Messages;

/// <summary>Exclusive consumer-group membership options.</summary>
/// <param name="MemberId">A stable member id, so a reconnecting member gets its partitions back.</param>
/// <param name="ConsumerTarget">Expected number of members (a hint).</param>
public sealed record ConsumerGroup(string? MemberId = null, uint? ConsumerTarget = null) : IRecordCodec
{
    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(2);
        BodyWriter.OptionalStr(ref writer, MemberId);
        BodyWriter.OptionalU32(ref writer, ConsumerTarget);
    }

    internal static ConsumerGroup Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("consumer_group");
        var value = new ConsumerGroup(
            reader.OptionalStr(ref n, "consumer_group.member_id"),
            reader.OptionalU32(ref n, "consumer_group.consumer_target"));
        reader.CloseRecord(n);
        return value;
    }
}
