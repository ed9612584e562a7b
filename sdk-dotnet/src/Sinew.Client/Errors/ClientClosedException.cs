// The client or the handle was closed.
namespace Sinew.Client;

/// <summary>The client, or the publisher or subscription used, has been closed. Code <c>client_closed</c>,
/// not retryable: create a new client or handle.</summary>
public sealed class ClientClosedException : SinewException
{
    /// <summary>Creates the exception.</summary>
    public ClientClosedException(string message, Exception? innerException = null)
        : base(SinewErrorCodes.ClientClosed, isRetryable: false, message, innerException)
    {
    }
}
