// No answer arrived within the request timeout.
namespace Sinew.Client;

/// <summary>The broker did not answer within <see cref="SinewClientOptions.RequestTimeout"/>. The request may
/// or may not have taken effect. Code <c>timeout</c>, retryable.</summary>
public sealed class OperationTimeoutException : SinewException
{
    /// <summary>Creates the exception.</summary>
    public OperationTimeoutException(string message, Exception? innerException = null)
        : this(message, timeout: null, innerException)
    {
    }

    /// <summary>Creates the exception naming the time limit that expired.</summary>
    public OperationTimeoutException(string message, TimeSpan? timeout, Exception? innerException = null)
        : base(SinewErrorCodes.Timeout, isRetryable: true, message, innerException)
    {
        Timeout = timeout;
    }

    /// <summary>The time limit that expired: the request timeout, or the timeout given to the call; null when
    /// not known.</summary>
    public TimeSpan? Timeout { get; }
}
