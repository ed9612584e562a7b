// The broker sent something the protocol forbids.
namespace Sinew.Client;

/// <summary>The broker sent something the protocol forbids: an undecodable frame, a reply of the wrong kind,
/// an op only clients send. The connection is closed. Code <c>protocol_error</c>, not retryable.</summary>
public sealed class ProtocolException : SinewException
{
    /// <summary>Creates the exception.</summary>
    public ProtocolException(string message, Exception? innerException = null)
        : base(SinewErrorCodes.ProtocolError, isRetryable: false, message, innerException)
    {
    }
}
