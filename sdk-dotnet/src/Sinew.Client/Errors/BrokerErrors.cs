// Turns the broker's Error frames and settlement failures into exceptions whose messages say what to do.
using Sinew.Protocol.Errors;
using Wire = Sinew.Protocol.Messages;

namespace Sinew.Client.Errors;

internal static class BrokerErrors
{
    /// <summary>The exception for an Error frame answering <paramref name="operation"/>, for example
    /// "Publish to queue 'orders'".</summary>
    public static BrokerException FromError(Wire.Error error, string operation)
    {
        var details = error.Details ?? new Dictionary<string, string>(0);
        var name = ErrorCodes.TryGet(error.Code, out var known) ? known.Name : $"unknown code {error.Code}";
        var brokerText = string.IsNullOrWhiteSpace(error.Message) ? "no explanation given" : error.Message.TrimEnd('.');
        var message = $"{operation} failed: {brokerText} ({name}). {Advice(error.Code, details)}";
        return new BrokerException(error.Code, error.Retryable, message, error.Message, details);
    }

    /// <summary>The exception for one failed item of a SettleOk. The broker sends only a code there; the
    /// retryable flag comes from the protocol's table.</summary>
    public static BrokerException FromSettleFailure(ushort code, string operation)
    {
        var known = ErrorCodes.TryGet(code, out var info);
        var retryable = known && info.Retryable;
        var name = known ? info.Name : $"unknown code {code}";
        var details = new Dictionary<string, string>(0);
        var message = $"{operation} failed ({name}). {Advice(code, details)}";
        return new BrokerException(code, retryable, message, brokerMessage: null, details);
    }

    private static string Advice(ushort code, IReadOnlyDictionary<string, string> details)
    {
        string Detail(string key) => details.TryGetValue(key, out var value) ? value : "?";

        return code switch
        {
            (ushort)ErrorCode.BadFrame =>
                "The broker could not decode a frame from this client; this is a client bug or a corrupted connection, please report it.",
            (ushort)ErrorCode.ProtocolMismatch =>
                $"The broker and this client share no protocol version (the broker speaks {Detail("supported")}); upgrade the older of the two.",
            (ushort)ErrorCode.ProtocolViolation =>
                "The client sent a frame where the protocol forbids it; this is a client bug, please report it.",
            (ushort)ErrorCode.FrameTooLarge =>
                $"Shrink the payload or split the batch: frames are limited to {Detail("max_frame_bytes")} bytes.",
            (ushort)ErrorCode.UnknownOp =>
                "The broker is older than this client and does not support this operation; upgrade the broker.",
            (ushort)ErrorCode.Unauthorized =>
                "Check SinewClientOptions.Credentials: the broker requires valid credentials.",
            (ushort)ErrorCode.Invalid => details.ContainsKey("field")
                ? $"Fix the argument '{Detail("field")}'" + (details.ContainsKey("reason") ? $" ({Detail("reason")})." : ".")
                : "Fix the arguments of the call.",
            (ushort)ErrorCode.NotFound =>
                "Declare the queue first with DeclareQueueAsync, or check the topic, group and partition.",
            (ushort)ErrorCode.Conflict => details.ContainsKey("field")
                ? $"The queue already exists with another '{Detail("field")}' (existing {Detail("existing")}, requested {Detail("requested")}); declare it with the same settings or use another topic."
                : "The request conflicts with the queue's existing settings; declare it with the same settings or use another topic.",
            (ushort)ErrorCode.StaleDelivery =>
                "The delivery is no longer held by this session (already settled, or its lease expired); it may be redelivered, so make handlers idempotent.",
            (ushort)ErrorCode.Redirect =>
                "The client's routing was stale; it refreshes its topology, so retrying the call is safe.",
            (ushort)ErrorCode.ResourceExhausted =>
                "A broker limit was reached (subscriptions, disk space or the dedup window); retry with backoff.",
            (ushort)ErrorCode.Unavailable =>
                "The broker or the partition cannot serve right now; retry with backoff.",
            (ushort)ErrorCode.Quarantined =>
                "The partition failed its recovery checks and is parked until an operator repairs it.",
            (ushort)ErrorCode.Timeout =>
                "The broker gave up waiting; the request may or may not have taken effect. Retry it (a ReliablePublisher's retries are deduplicated).",
            (ushort)ErrorCode.Internal =>
                "An unexpected failure in the broker; its logs say more.",
            _ => $"Error code {code} is newer than this client; upgrade the client to learn its meaning.",
        };
    }
}
