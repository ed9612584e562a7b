// The client's log messages, generated at compile time so disabled levels cost nothing.
using Microsoft.Extensions.Logging;
using Sinew.Client.Connection;
using Sinew.Client.Routing;

namespace Sinew.Client.Diagnostics;

internal static partial class Log
{
    [LoggerMessage(EventId = SinewLogEvents.Connected, Level = LogLevel.Information,
        Message = "Connected to {Endpoint}: broker {ServerId} {ServerVersion}, session {SessionId}, protocol {Version}, heartbeat {HeartbeatMs} ms")]
    public static partial void Connected(ILogger logger, BrokerEndpoint endpoint, string serverId, string serverVersion, string sessionId, int version, ulong heartbeatMs);

    [LoggerMessage(EventId = SinewLogEvents.ConnectAttemptFailed, Level = LogLevel.Warning, Message = "Connecting to {Endpoint} failed: {Reason}")]
    public static partial void ConnectAttemptFailed(ILogger logger, BrokerEndpoint endpoint, string reason);

    [LoggerMessage(EventId = SinewLogEvents.ConnectionLost, Level = LogLevel.Warning, Message = "Connection to {Endpoint} lost: {Reason}")]
    public static partial void ConnectionLost(ILogger logger, BrokerEndpoint endpoint, string reason);

    [LoggerMessage(EventId = SinewLogEvents.Reconnecting, Level = LogLevel.Information,
        Message = "Reconnection attempt {Attempt} of {MaxAttempts} failed; next attempt in {DelayMs} ms")]
    public static partial void Reconnecting(ILogger logger, int attempt, int maxAttempts, long delayMs);

    [LoggerMessage(EventId = SinewLogEvents.ReconnectFailed, Level = LogLevel.Error, Message = "Could not reconnect after {Attempts} attempts: {Reason}")]
    public static partial void ReconnectFailed(ILogger logger, int attempts, string reason);

    [LoggerMessage(EventId = SinewLogEvents.ConnectionClosed, Level = LogLevel.Information, Message = "Closed the connection to {Endpoint}")]
    public static partial void ConnectionClosed(ILogger logger, BrokerEndpoint endpoint);

    [LoggerMessage(EventId = SinewLogEvents.HeartbeatTimeout, Level = LogLevel.Warning,
        Message = "Nothing received from {Endpoint} for {SilenceMs} ms (three heartbeat intervals); closing the connection as dead")]
    public static partial void HeartbeatTimeout(ILogger logger, BrokerEndpoint endpoint, long silenceMs);

    [LoggerMessage(EventId = SinewLogEvents.UnsolicitedError, Level = LogLevel.Warning,
        Message = "The broker at {Endpoint} reported an error not tied to a waiting request: code {Code}, {Message}")]
    public static partial void UnsolicitedError(ILogger logger, BrokerEndpoint endpoint, ushort code, string message);

    [LoggerMessage(EventId = SinewLogEvents.GoingAway, Level = LogLevel.Information,
        Message = "The broker at {Endpoint} is going away at {Deadline} (unix ms): {Message}; reconnecting to {ReconnectTo} afterwards (none: the configured endpoints)")]
    public static partial void GoingAway(ILogger logger, BrokerEndpoint endpoint, ulong deadline, string message, BrokerEndpoint? reconnectTo);

    [LoggerMessage(EventId = SinewLogEvents.UnknownOpSkipped, Level = LogLevel.Debug, Message = "Skipped a frame from {Endpoint}: {Reason}")]
    public static partial void UnknownOpSkipped(ILogger logger, BrokerEndpoint endpoint, string reason);

    [LoggerMessage(EventId = SinewLogEvents.LateReply, Level = LogLevel.Debug,
        Message = "{Opcode} for request {RequestId} arrived after the request timed out or was cancelled")]
    public static partial void LateReply(ILogger logger, Sinew.Protocol.Framing.Opcode opcode, uint requestId);

    [LoggerMessage(EventId = SinewLogEvents.OrphanSubscription, Level = LogLevel.Debug,
        Message = "Subscription {SubscriptionId} is not held by this client; unsubscribing it")]
    public static partial void OrphanSubscription(ILogger logger, ulong subscriptionId);

    [LoggerMessage(EventId = SinewLogEvents.SubscriptionEnded, Level = LogLevel.Information,
        Message = "Subscription to queue {Queue} ended: {Reason} ({Detail})")]
    public static partial void SubscriptionEnded(ILogger logger, QueueKey queue, SubscriptionEndReason reason, string detail);

    [LoggerMessage(EventId = SinewLogEvents.TopologyUpdated, Level = LogLevel.Debug,
        Message = "Topology generation {Generation} applied: {Channels} queues and streams")]
    public static partial void TopologyUpdated(ILogger logger, ulong generation, int channels);

    [LoggerMessage(EventId = SinewLogEvents.ProtocolViolation, Level = LogLevel.Error,
        Message = "The broker at {Endpoint} broke the protocol; closing the connection: {Reason}")]
    public static partial void ProtocolViolation(ILogger logger, BrokerEndpoint endpoint, string reason);

    [LoggerMessage(EventId = SinewLogEvents.PublishRetry, Level = LogLevel.Warning,
        Message = "Publish to queue {Queue} (producer {ProducerId}, sequence {Sequence}) failed on attempt {Attempt} of {MaxAttempts}; retrying in {DelayMs} ms: {Reason}")]
    public static partial void PublishRetry(ILogger logger, QueueKey queue, string producerId, ulong sequence, int attempt, int maxAttempts, long delayMs, string reason);

    [LoggerMessage(EventId = SinewLogEvents.CloseTimedOut, Level = LogLevel.Warning,
        Message = "{What} was not confirmed by {Endpoint} within {TimeoutMs} ms; closing anyway")]
    public static partial void CloseTimedOut(ILogger logger, string what, BrokerEndpoint endpoint, long timeoutMs);

    [LoggerMessage(EventId = SinewLogEvents.Subscribed, Level = LogLevel.Debug,
        Message = "Subscribed to queue {Queue}: partitions {Partitions}, {AckMode} ack, prefetch {Prefetch}")]
    public static partial void Subscribed(ILogger logger, QueueKey queue, IReadOnlyList<int> partitions, AckMode ackMode, int prefetch);

    [LoggerMessage(EventId = SinewLogEvents.ErrorHandlerFailed, Level = LogLevel.Error,
        Message = "SinewClientOptions.OnError threw; the exception is ignored")]
    public static partial void ErrorHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = SinewLogEvents.UnobservedFailure, Level = LogLevel.Warning,
        Message = "An operation failed and nothing awaited its task, so the failure would have gone unseen: {Reason}")]
    public static partial void UnobservedFailure(ILogger logger, string reason, Exception exception);

    [LoggerMessage(EventId = SinewLogEvents.CatalogueRefreshFailed, Level = LogLevel.Debug,
        Message = "Asking {Endpoint} for its catalogue failed: {Reason}")]
    public static partial void CatalogueRefreshFailed(ILogger logger, BrokerEndpoint endpoint, string reason);

    [LoggerMessage(EventId = SinewLogEvents.CatalogueHandlerFailed, Level = LogLevel.Error,
        Message = "A CatalogueChanged handler threw; the exception is ignored")]
    public static partial void CatalogueHandlerFailed(ILogger logger, Exception exception);
}
