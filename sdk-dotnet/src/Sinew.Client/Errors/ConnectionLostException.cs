// The connection dropped while an operation was in flight.
namespace Sinew.Client;

/// <summary>The connection dropped while the operation was in flight. The operation is not replayed: it
/// may or may not have taken effect. Code <c>connection_lost</c>, retryable; the next operation reconnects
/// first.</summary>
public sealed class ConnectionLostException : SinewException
{
    /// <summary>Creates the exception.</summary>
    public ConnectionLostException(string message, Exception? innerException = null)
        : this(message, endpoint: null, innerException)
    {
    }

    /// <summary>Creates the exception naming the endpoint whose connection dropped.</summary>
    public ConnectionLostException(string message, string? endpoint, Exception? innerException = null)
        : base(SinewErrorCodes.ConnectionLost, isRetryable: true, message, innerException)
    {
        Endpoint = endpoint;
    }

    /// <summary>The endpoint whose connection dropped, as <c>host:port</c>; null when no connection was involved
    /// (reconnecting is disabled and the connection was already gone).</summary>
    public string? Endpoint { get; }
}
