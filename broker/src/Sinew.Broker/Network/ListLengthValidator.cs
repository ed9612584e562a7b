// Holds every list in a frame a client sends to limits.max_list_items (specification section 2.4). It runs
// before the frame's handler, so a refused frame changes nothing: no delivery of a too-long Ack is settled.
// The check is validation, not decoding: the frame was well-formed, so the answer is invalid and the
// connection stays open.
using System.Globalization;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Network;

internal static class ListLengthValidator
{
    /// <summary>The <c>reason</c> of the refusal.</summary>
    public const string TooManyItems = "too_many_items";

    /// <summary>Every list checked, as <c>Op.field</c> in registry names. The messages of a PublishBatch are
    /// held to max_batch_messages and a message's headers to max_headers instead.</summary>
    public static IReadOnlyList<string> CheckedLists { get; } =
        ["Ack.delivery_ids", "Nack.items", "ExtendLease.items", "Reconcile.subscriptions", "SubscribeStream.filters", "Unsubscribe.handed_out",
         "Goodbye.handed_out"];

    /// <summary>Throws <c>invalid</c> when a list of <paramref name="message"/> holds more than
    /// <paramref name="limit"/> entries (a string map's entries are its pairs).</summary>
    public static void Check(IWireMessage message, int limit)
    {
        switch (message)
        {
            case Ack ack:
                Check("delivery_ids", ack.DeliveryIds.Count, limit);
                break;
            case Nack nack:
                Check("items", nack.Items.Count, limit);
                break;
            case ExtendLease extend:
                Check("items", extend.Items.Count, limit);
                break;
            case Reconcile reconcile:
                Check("subscriptions", reconcile.Subscriptions.Count, limit);
                break;
            case SubscribeStream { Filters: { } filters }:
                Check("filters", filters.Count, limit);
                break;
            case Unsubscribe { HandedOut: { } handedOut }:
                Check("handed_out", handedOut.Count, limit);
                break;
            case Goodbye { HandedOut: { } handedOut }:
                Check("handed_out", handedOut.Count, limit);
                break;
        }
    }

    private static void Check(string field, int count, int limit)
    {
        if (count > limit)
        {
            throw new BrokerErrorException(ErrorCode.Invalid,
                $"{field} holds {count} entries; a frame's lists hold at most {limit} (limits.max_list_items in HelloOk): split it into several frames",
                new Dictionary<string, string>
                {
                    ["field"] = field,
                    ["reason"] = TooManyItems,
                    ["limit"] = limit.ToString(CultureInfo.InvariantCulture),
                });
        }
    }
}
