// A failure that is answered to the client as an Error frame with a stable code.
using Sinew.Protocol.Errors;

namespace Sinew.Broker;

/// <summary>A request failed in a way the client should be told about. Carries the protocol error code,
/// the retryable flag brokers send for it, and machine-readable details.</summary>
internal sealed class BrokerErrorException : Exception
{
    public BrokerErrorException(ErrorCode code, string message, IReadOnlyDictionary<string, string>? details = null)
        : base(message)
    {
        Code = code;
        Details = details;
    }

    public ErrorCode Code { get; }

    public IReadOnlyDictionary<string, string>? Details { get; }

    public bool Retryable => ErrorCodes.Get(Code).Retryable;

    public static BrokerErrorException Invalid(string field, string message, string? reason = null) =>
        new(ErrorCode.Invalid, message,
            reason is null
                ? new Dictionary<string, string> { ["field"] = field }
                : new Dictionary<string, string> { ["field"] = field, ["reason"] = reason });
}
