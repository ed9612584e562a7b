// Record ReconcileEntry: one subscription a resuming client still holds.
using MessagePack;
using Sinew.Protocol.Encoding;

namespace Sinew.Protocol.Messages;

/// <summary>A subscription listed in <see cref="Reconcile"/>.</summary>
/// <param name="SubscriptionId">The id the client knows it by.</param>
/// <param name="Kind">Queue or stream.</param>
/// <param name="Topic">Its topic.</param>
/// <param name="Group">Its group.</param>
/// <param name="Partition">The partition it named, if any.</param>
/// <param name="AckMode">Its ack mode.</param>
/// <param name="Prefetch">Its prefetch.</param>
/// <param name="Cursor">Its durable cursor name (streams).</param>
public sealed record ReconcileEntry(
    ulong SubscriptionId,
    ChannelKind Kind,
    string Topic,
    string? Group,
    uint? Partition,
    AckMode AckMode,
    uint Prefetch,
    string? Cursor = null) : IRecordCodec
{
    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(8);
        writer.Write(SubscriptionId);
        BodyWriter.Enum(ref writer, (byte)Kind);
        BodyWriter.Str(ref writer, Topic);
        BodyWriter.OptionalStr(ref writer, Group);
        BodyWriter.OptionalU32(ref writer, Partition);
        BodyWriter.Enum(ref writer, (byte)AckMode);
        writer.Write(Prefetch);
        BodyWriter.OptionalStr(ref writer, Cursor);
    }

    internal static ReconcileEntry Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("subscriptions[]");
        var value = new ReconcileEntry(
            reader.U64(ref n, "subscriptions.subscription_id"),
            reader.Enum<ChannelKind>(ref n, "subscriptions.kind"),
            reader.Str(ref n, "subscriptions.topic"),
            reader.OptionalStr(ref n, "subscriptions.group"),
            reader.OptionalU32(ref n, "subscriptions.partition"),
            reader.Enum<AckMode>(ref n, "subscriptions.ack_mode"),
            reader.U32(ref n, "subscriptions.prefetch"),
            reader.OptionalStr(ref n, "subscriptions.cursor"));
        reader.CloseRecord(n);
        return value;
    }
}
