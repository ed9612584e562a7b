// The one table of log event ids the client uses, so logs can be filtered and alerted on by id.
namespace Sinew.Client;

/// <summary>Event ids of the client's log messages (category <c>Sinew.Client</c>). Ids are stable: new events
/// get new numbers and a number is never reused.</summary>
public static class SinewLogEvents
{
    /// <summary>A connection completed its handshake (Information).</summary>
    public const int Connected = 1;
    /// <summary>A connection attempt to one endpoint failed (Warning).</summary>
    public const int ConnectAttemptFailed = 2;
    /// <summary>A connection dropped (Warning).</summary>
    public const int ConnectionLost = 3;
    /// <summary>The client waits before its next reconnection attempt (Information).</summary>
    public const int Reconnecting = 4;
    /// <summary>Every reconnection attempt failed (Error).</summary>
    public const int ReconnectFailed = 5;
    /// <summary>A connection was closed by the client (Information).</summary>
    public const int ConnectionClosed = 6;
    /// <summary>Nothing arrived for three heartbeat intervals; the connection is treated as dead (Warning).</summary>
    public const int HeartbeatTimeout = 7;
    /// <summary>The broker reported an error not tied to a waiting request, for example the failure of an
    /// unconfirmed publish (Warning).</summary>
    public const int UnsolicitedError = 8;
    /// <summary>The broker announced it is going away (Information).</summary>
    public const int GoingAway = 9;
    /// <summary>A frame with an opcode this client does not know was skipped (Debug).</summary>
    public const int UnknownOpSkipped = 10;
    /// <summary>A reply arrived after its request had timed out or been cancelled (Debug).</summary>
    public const int LateReply = 11;
    /// <summary>Deliveries arrived for a subscription the client does not hold; it was unsubscribed (Debug).</summary>
    public const int OrphanSubscription = 12;
    /// <summary>A subscription ended for a reason other than the caller closing it (Information).</summary>
    public const int SubscriptionEnded = 13;
    /// <summary>The topology cache was updated (Debug).</summary>
    public const int TopologyUpdated = 14;
    /// <summary>The broker broke the protocol; the connection is closed (Error).</summary>
    public const int ProtocolViolation = 15;
    /// <summary>A reliable publisher retries a failed publish (Warning).</summary>
    public const int PublishRetry = 16;
    /// <summary>The broker did not confirm a close in time; the socket was closed anyway (Warning).</summary>
    public const int CloseTimedOut = 17;
    /// <summary>A subscription was opened (Debug).</summary>
    public const int Subscribed = 18;
    /// <summary>The <see cref="SinewClientOptions.OnError"/> handler threw (Error).</summary>
    public const int ErrorHandlerFailed = 19;
    /// <summary>A settlement or publish failed and the application never observed the failure: the task it was
    /// handed was dropped without being awaited (Warning). Logged once per dropped task, when the garbage collector
    /// finds it.</summary>
    public const int UnobservedFailure = 20;
    /// <summary>Asking the broker for its catalogue, to keep the client's view live, failed; the view keeps what it had
    /// and the next read or publish asks again (Debug).</summary>
    public const int CatalogueRefreshFailed = 21;
    /// <summary>A <see cref="SinewClient.CatalogueChanged"/> handler threw (Error).</summary>
    public const int CatalogueHandlerFailed = 22;
}
