// Subscribe (0x30): attach a consumer to a queue.
using MessagePack;
using Sinew.Protocol.Encoding;
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Messages;

/// <summary>Attaches a consumer to a queue.</summary>
/// <param name="Topic">The queue's topic.</param>
/// <param name="Group">Its group.</param>
/// <param name="Partition">One partition; absent for all.</param>
/// <param name="AckMode">Manual or auto.</param>
/// <param name="Prefetch">Most unsettled deliveries held at once.</param>
/// <param name="ConsumerGroup">Join the queue's exclusive consumer group.</param>
public sealed record Subscribe(
    string Topic,
    string? Group,
    uint? Partition,
    AckMode AckMode,
    uint Prefetch,
    ConsumerGroup? ConsumerGroup = null) : IWireMessage, IRecordCodec
{
    /// <inheritdoc />
    public Opcode Opcode => Opcode.Subscribe;

    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(6);
        BodyWriter.Str(ref writer, Topic);
        BodyWriter.OptionalStr(ref writer, Group);
        BodyWriter.OptionalU32(ref writer, Partition);
        BodyWriter.Enum(ref writer, (byte)AckMode);
        writer.Write(Prefetch);
        BodyWriter.OptionalRecord(ref writer, ConsumerGroup);
    }

    internal static Subscribe Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("Subscribe");
        var value = new Subscribe(
            reader.Str(ref n, "topic"),
            reader.OptionalStr(ref n, "group"),
            reader.OptionalU32(ref n, "partition"),
            reader.Enum<AckMode>(ref n, "ack_mode"),
            reader.U32(ref n, "prefetch"),
            reader.OptionalRecord(ref n, "consumer_group", Messages.ConsumerGroup.Read));
        reader.CloseRecord(n);
        return value;
    }
}
