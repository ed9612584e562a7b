// A request that can no longer be answered: the connection closed first.
namespace Sinew.RawProtocol;

/// <summary>The connection closed (or failed) before the broker answered a request.</summary>
public sealed class RawConnectionClosedException(string message, Exception? innerException = null) : IOException(message, innerException);
