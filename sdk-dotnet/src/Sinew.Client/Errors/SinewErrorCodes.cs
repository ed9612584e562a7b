// The stable error codes a SinewException can carry: the client's own and the broker's.
namespace Sinew.Client;

/// <summary>Every value <see cref="SinewException.Code"/> can take. The client's codes are listed first;
/// the broker's codes are the names of the protocol's error table; a subscription that ended carries
/// the name of its <see cref="SubscriptionEndReason"/>. A broker code this client does not know yet is
/// reported as <see cref="Unknown"/>, with its number in <see cref="BrokerException.BrokerCode"/>.</summary>
public static class SinewErrorCodes
{
    /// <summary>Could not connect or complete the handshake (<see cref="ConnectionException"/>).</summary>
    public const string ConnectionFailed = "connection_failed";

    /// <summary>The connection dropped while the operation was in flight (<see cref="ConnectionLostException"/>).</summary>
    public const string ConnectionLost = "connection_lost";

    /// <summary>The client or the handle was closed (<see cref="ClientClosedException"/>).</summary>
    public const string ClientClosed = "client_closed";

    /// <summary>No answer within the request timeout (<see cref="OperationTimeoutException"/>); also the
    /// broker's own <c>timeout</c> code (<see cref="BrokerException"/>).</summary>
    public const string Timeout = "timeout";

    /// <summary>The client refused the call before sending it (<see cref="InvalidArgumentException"/>).</summary>
    public const string InvalidArgument = "invalid_argument";

    /// <summary>The broker sent something the protocol forbids (<see cref="ProtocolException"/>).</summary>
    public const string ProtocolError = "protocol_error";

    /// <summary>Broker code 1: a frame could not be decoded.</summary>
    public const string BadFrame = "bad_frame";

    /// <summary>Broker code 2: no protocol version in common.</summary>
    public const string ProtocolMismatch = "protocol_mismatch";

    /// <summary>Broker code 3: a frame where the protocol forbids it.</summary>
    public const string ProtocolViolation = "protocol_violation";

    /// <summary>Broker code 4: a frame over the size limit.</summary>
    public const string FrameTooLarge = "frame_too_large";

    /// <summary>Broker code 5: the broker does not know the operation.</summary>
    public const string UnknownOp = "unknown_op";

    /// <summary>Broker code 6: authentication required or rejected.</summary>
    public const string Unauthorized = "unauthorized";

    /// <summary>Broker code 7: an invalid argument.</summary>
    public const string Invalid = "invalid";

    /// <summary>Broker code 8: the queue, subscription or partition does not exist.</summary>
    public const string NotFound = "not_found";

    /// <summary>Broker code 9: the request conflicts with existing state.</summary>
    public const string Conflict = "conflict";

    /// <summary>Broker code 10: the delivery is no longer held by this session.</summary>
    public const string StaleDelivery = "stale_delivery";

    /// <summary>Broker code 11: stale routing; refresh the topology and retry.</summary>
    public const string Redirect = "redirect";

    /// <summary>Broker code 12: a broker limit was reached.</summary>
    public const string ResourceExhausted = "resource_exhausted";

    /// <summary>Broker code 13: the broker or partition cannot serve right now.</summary>
    public const string Unavailable = "unavailable";

    /// <summary>Broker code 14: the partition is parked until an operator repairs it.</summary>
    public const string Quarantined = "quarantined";

    /// <summary>Broker code 16: an unexpected broker failure.</summary>
    public const string Internal = "internal";

    /// <summary>A broker code newer than this client.</summary>
    public const string Unknown = "unknown";
}
