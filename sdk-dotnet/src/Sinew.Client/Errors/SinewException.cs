// The base of every error the Sinew client raises: a stable code and whether retrying may help.
namespace Sinew.Client;

/// <summary>Base of every error raised by the Sinew client. <see cref="Code"/> is a stable string shared
/// by the C#, TypeScript and Python clients and the protocol (see <see cref="SinewErrorCodes"/>);
/// <see cref="IsRetryable"/> says whether the same call may succeed later without change.</summary>
public abstract class SinewException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="code">The stable error code.</param>
    /// <param name="isRetryable">Whether retrying the same call may succeed.</param>
    /// <param name="message">What happened and what to do about it.</param>
    /// <param name="innerException">The underlying cause, if any.</param>
    protected SinewException(string code, bool isRetryable, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        Code = code;
        IsRetryable = isRetryable;
    }

    /// <summary>The stable error code, for example <c>not_found</c> or <c>connection_lost</c>.</summary>
    public string Code { get; }

    /// <summary>Whether the same call may succeed later without change (after a backoff).</summary>
    public bool IsRetryable { get; }
}
