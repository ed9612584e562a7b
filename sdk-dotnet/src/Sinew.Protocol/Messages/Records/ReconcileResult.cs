// Record ReconcileResult: the broker's verdict on one listed subscription.
using MessagePack;
using Sinew.Protocol.Encoding;

namespace Sinew.Protocol.Messages;

/// <summary>The outcome for one subscription in <see cref="ReconcileOk"/>.</summary>
/// <param name="SubscriptionId">The id the client sent.</param>
/// <param name="Outcome">Kept, restored or closed.</param>
/// <param name="NewSubscriptionId">The id to use from now on, when restored.</param>
public sealed record ReconcileResult(ulong SubscriptionId, ReconcileOutcome Outcome, ulong? NewSubscriptionId = null) : IRecordCodec
{
    void IRecordCodec.Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(3);
        writer.Write(SubscriptionId);
        BodyWriter.Enum(ref writer, (byte)Outcome);
        BodyWriter.OptionalU64(ref writer, NewSubscriptionId);
    }

    internal static ReconcileResult Read(ref BodyReader reader)
    {
        var n = reader.OpenRecord("results[]");
        var value = new ReconcileResult(
            reader.U64(ref n, "results.subscription_id"),
            reader.Enum<ReconcileOutcome>(ref n, "results.outcome"),
            reader.OptionalU64(ref n, "results.new_subscription_id"));
        reader.CloseRecord(n);
        return value;
    }
}
