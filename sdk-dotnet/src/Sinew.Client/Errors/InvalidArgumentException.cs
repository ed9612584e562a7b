// The client refused a call before sending anything.
namespace Sinew.Client;

/// <summary>The client refused the call before sending anything: a bad name, a reserved header, an option
/// out of range, a settlement of a delivery that is already settled. Code <c>invalid_argument</c>, not
/// retryable.</summary>
public sealed class InvalidArgumentException : SinewException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong and how to fix it.</param>
    /// <param name="argument">The argument at fault as the caller writes it: a parameter in camelCase (<c>topic</c>,
    /// <c>delay</c>), a property in PascalCase (<c>Prefetch</c>, <c>Headers</c>), a nested option with its path
    /// (<c>Reconnect.MaxDelay</c>).</param>
    /// <param name="reason">The rule it broke, a stable snake_case word shared by every Sinew client (for example
    /// <c>whitespace</c>, <c>reserved_prefix</c>, <c>out_of_range</c> or <c>already_settled</c>).</param>
    /// <param name="innerException">The underlying cause, if any.</param>
    public InvalidArgumentException(string message, string argument, string reason, Exception? innerException = null)
        : base(SinewErrorCodes.InvalidArgument, isRetryable: false, message, innerException)
    {
        Argument = argument;
        Reason = reason;
    }

    /// <summary>The argument at fault as the caller writes it: a parameter in camelCase (<c>topic</c>, <c>reason</c>),
    /// a property in PascalCase (<c>Prefetch</c>, <c>Headers</c>, <c>Delay</c>), a nested option with its path
    /// (<c>Reconnect.MaxDelay</c>, <c>DeadLetter.Topic</c>). The other clients name the same argument in their own
    /// casing (<c>delayMs</c> in TypeScript, <c>delay</c> in Python).</summary>
    public string Argument { get; }

    /// <summary>The rule that was broken, a stable snake_case word: the protocol's rule names for names and header
    /// keys (<c>empty</c>, <c>too_long</c>, <c>reserved_prefix</c>, <c>whitespace</c>, …) and the clients' own
    /// (<c>wrong_type</c>, <c>out_of_range</c>, <c>too_many</c>, <c>duplicate</c>, <c>conflicting_options</c>,
    /// <c>invalid_endpoint</c>, <c>not_json</c>, <c>not_msgpack</c>, <c>not_encodable</c>, <c>frame_too_large</c>,
    /// <c>auto_ack</c>, <c>already_settled</c>).</summary>
    public string Reason { get; }
}
