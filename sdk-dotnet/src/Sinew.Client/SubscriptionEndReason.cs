// Why a subscription ended: the broker's close reasons plus the client's own.
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client;

/// <summary>Why a <see cref="Subscription"/> ended when the caller did not close it. Carried by
/// <see cref="SubscriptionEndedException"/>.</summary>
public enum SubscriptionEndReason
{
    /// <summary><c>server_shutdown</c>: the broker is shutting down. Retryable: subscribe again, the client
    /// reconnects first.</summary>
    ServerShutdown,
    /// <summary><c>deleted</c>: the queue was deleted. Not retryable.</summary>
    Deleted,
    /// <summary><c>quarantined</c>: a partition of the queue was quarantined. Not retryable until an operator
    /// repairs it.</summary>
    Quarantined,
    /// <summary><c>reconcile_closed</c>: the broker could not keep the subscription after a resume.
    /// Retryable: subscribe again.</summary>
    ReconcileClosed,
    /// <summary><c>cursor_taken_over</c>: another subscription took the durable cursor name. Not retryable.</summary>
    CursorTakenOver,
    /// <summary><c>internal</c>: an unexpected broker failure. Not retryable.</summary>
    Internal,
    /// <summary><c>connection_lost</c>: the connection carrying the subscription dropped. Retryable: subscribe
    /// again, the client reconnects first.</summary>
    ConnectionLost,
    /// <summary><c>client_closed</c>: the <see cref="SinewClient"/> was closed. Not retryable.</summary>
    ClientClosed,
}

/// <summary>Codes and retry advice for <see cref="SubscriptionEndReason"/> values.</summary>
internal static class SubscriptionEndReasons
{
    /// <summary>The stable snake_case code, shared with the other clients and the protocol.</summary>
    public static string Code(this SubscriptionEndReason reason) => reason switch
    {
        SubscriptionEndReason.ServerShutdown => "server_shutdown",
        SubscriptionEndReason.Deleted => "deleted",
        SubscriptionEndReason.Quarantined => "quarantined",
        SubscriptionEndReason.ReconcileClosed => "reconcile_closed",
        SubscriptionEndReason.CursorTakenOver => "cursor_taken_over",
        SubscriptionEndReason.Internal => "internal",
        SubscriptionEndReason.ConnectionLost => SinewErrorCodes.ConnectionLost,
        SubscriptionEndReason.ClientClosed => SinewErrorCodes.ClientClosed,
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };

    /// <summary>Whether subscribing again may succeed without anything else changing.</summary>
    public static bool IsRetryable(this SubscriptionEndReason reason) => reason is
        SubscriptionEndReason.ServerShutdown or SubscriptionEndReason.ReconcileClosed or SubscriptionEndReason.ConnectionLost;

    /// <summary>The end reason for a broker's close reason.</summary>
    public static SubscriptionEndReason FromWire(Wire.CloseReason reason) => reason switch
    {
        Wire.CloseReason.ServerShutdown => SubscriptionEndReason.ServerShutdown,
        Wire.CloseReason.Deleted => SubscriptionEndReason.Deleted,
        Wire.CloseReason.Quarantined => SubscriptionEndReason.Quarantined,
        Wire.CloseReason.ReconcileClosed => SubscriptionEndReason.ReconcileClosed,
        Wire.CloseReason.CursorTakenOver => SubscriptionEndReason.CursorTakenOver,
        _ => SubscriptionEndReason.Internal,
    };

    /// <summary>What the reason means for the reader of an error message.</summary>
    public static string Advice(this SubscriptionEndReason reason) => reason switch
    {
        SubscriptionEndReason.ServerShutdown => "the broker is shutting down; subscribe again to continue on a broker that is up",
        SubscriptionEndReason.Deleted => "the queue was deleted",
        SubscriptionEndReason.Quarantined => "a partition of the queue was quarantined and is parked until an operator repairs it",
        SubscriptionEndReason.ReconcileClosed => "the broker could not keep the subscription after a resume; subscribe again",
        SubscriptionEndReason.CursorTakenOver => "another subscription took over the durable cursor name",
        SubscriptionEndReason.Internal => "an unexpected broker failure; see the broker's logs",
        SubscriptionEndReason.ConnectionLost => "the connection dropped; subscribe again and the client reconnects first (unsettled deliveries are redelivered)",
        SubscriptionEndReason.ClientClosed => "the client was closed",
        _ => reason.ToString(),
    };
}
