// What the client knows about the broker it is connected to, from the handshake.
namespace Sinew.Client;

/// <summary>The broker and session of the client's current connection, as the broker announced them in the
/// handshake. Read it from <see cref="SinewClient.ServerInfo"/>; a reconnection brings a new session and a new
/// instance.</summary>
/// <param name="Endpoint">The address connected to, as <c>host:port</c>.</param>
/// <param name="ServerId">The broker's stable id (the same after the broker restarts on the same data).</param>
/// <param name="ServerVersion">The broker's software version.</param>
/// <param name="SessionId">This session's id.</param>
/// <param name="ProtocolVersion">The negotiated protocol version.</param>
/// <param name="Heartbeat">The heartbeat interval both sides use; <see cref="TimeSpan.Zero"/> when heartbeats are off.</param>
/// <param name="Limits">The limits the broker enforces on this session.</param>
public sealed record ServerInfo(
    string Endpoint,
    string ServerId,
    string ServerVersion,
    string SessionId,
    int ProtocolVersion,
    TimeSpan Heartbeat,
    BrokerLimits Limits);

/// <summary>The limits a broker announced for a session. The client checks them before sending, so a call that
/// would break one fails with <see cref="InvalidArgumentException"/> instead of a broker error.</summary>
/// <param name="MaxFrameBytes">The largest frame body either side may send, in bytes.</param>
/// <param name="MaxBatchMessages">The most messages in one <see cref="Publisher.PublishBatchAsync"/>.</param>
/// <param name="MaxHeaders">The most headers on one message.</param>
/// <param name="MaxPrefetch">The largest <see cref="SubscribeOptions.Prefetch"/>.</param>
public sealed record BrokerLimits(long MaxFrameBytes, long MaxBatchMessages, long MaxHeaders, long MaxPrefetch);
