// No answer arrived within the request timeout.
namespace Sinew.Client;

/// <summary>The broker did not answer within <see cref="SinewClientOptions.RequestTimeout"/>. The request may
/// or may not have taken effect. Code <c>timeout</c>, retryable.</summary>
public sealed class OperationTimeoutException : SinewException
{
    /// <summary>Creates the exception.</summary>
    public OperationTimeoutException(string message, Exception? innerException = null)
        : base(SinewErrorCodes.Timeout, isRetryable: true, message, innerException)
    {
    }
}
