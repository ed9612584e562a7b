// Connecting or the handshake failed.
namespace Sinew.Client;

/// <summary>The client could not connect to any endpoint or could not complete the handshake: the
/// connection was refused or timed out, or the peer is not a Sinew broker. Code <c>connection_failed</c>,
/// retryable. A broker that answers the handshake with an error raises <see cref="BrokerException"/> instead
/// (<c>unauthorized</c>, <c>protocol_mismatch</c>).</summary>
public sealed class ConnectionException : SinewException
{
    /// <summary>Creates the exception.</summary>
    public ConnectionException(string message, Exception? innerException = null)
        : this(message, [], innerException)
    {
    }

    /// <summary>Creates the exception with the endpoints tried and how each failed.</summary>
    public ConnectionException(string message, IReadOnlyList<ConnectionFailure> failures, Exception? innerException = null)
        : base(SinewErrorCodes.ConnectionFailed, isRetryable: true, message, innerException)
    {
        ArgumentNullException.ThrowIfNull(failures);
        Failures = [.. failures];
    }

    /// <summary>Each endpoint tried, with the error it gave, in the order tried (every attempt of a reconnect);
    /// empty when the failure concerns one connection's handshake rather than a choice of endpoints.</summary>
    public IReadOnlyList<ConnectionFailure> Failures { get; }
}
