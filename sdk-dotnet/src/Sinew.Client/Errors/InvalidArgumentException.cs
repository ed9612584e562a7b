// The client refused a call before sending anything.
namespace Sinew.Client;

/// <summary>The client refused the call before sending anything: a bad name, a reserved header, an option
/// out of range, a settlement of a delivery that is already settled. Code <c>invalid_argument</c>, not
/// retryable.</summary>
public sealed class InvalidArgumentException : SinewException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong and how to fix it.</param>
    /// <param name="argument">The offending argument or field, for example <c>topic</c> or <c>headers</c>.</param>
    /// <param name="reason">The rule it broke, in the protocol's vocabulary (for example <c>whitespace</c> or
    /// <c>reserved_prefix</c>), where there is one.</param>
    /// <param name="innerException">The underlying cause, if any.</param>
    public InvalidArgumentException(string message, string? argument = null, string? reason = null, Exception? innerException = null)
        : base(SinewErrorCodes.InvalidArgument, isRetryable: false, message, innerException)
    {
        Argument = argument;
        Reason = reason;
    }

    /// <summary>The offending argument or field, when the check names one (the protocol's field name where there is
    /// one, such as <c>topic</c>, <c>headers</c> or <c>content_type</c>).</summary>
    public string? Argument { get; }

    /// <summary>The rule that was broken, in the protocol's vocabulary, when there is one.</summary>
    public string? Reason { get; }
}
