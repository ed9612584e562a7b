// Kestrel hands every accepted protocol connection to this handler, which runs a session on it.
using Microsoft.AspNetCore.Connections;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Network;

internal sealed class SinewConnectionHandler(SessionContext broker) : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var sessions = broker.Sessions;
        if (sessions.Stopping || !sessions.Started)
        {
            await RefuseAsync(connection, ErrorCode.Unavailable, sessions.Stopping ? "the broker is shutting down" : "the broker is still starting").ConfigureAwait(false);
            return;
        }

        if (sessions.Count >= broker.Options.Limits.MaxConnections)
        {
            await RefuseAsync(connection, ErrorCode.ResourceExhausted, $"the broker already serves {sessions.Count} connections, the most allowed").ConfigureAwait(false);
            return;
        }

        using var session = new Session(connection, broker);
        sessions.Add(session);
        broker.Services.Metrics.Connections.Inc();
        try
        {
            await session.RunAsync().ConfigureAwait(false);
        }
        finally
        {
            sessions.Remove(session);
            broker.Services.Metrics.Connections.Dec();
        }
    }

    private static async Task RefuseAsync(ConnectionContext connection, ErrorCode code, string message)
    {
        var frame = FrameEncoder.EncodeToArray(new Error((ushort)code, ErrorCodes.Get(code).Retryable, message));
        try
        {
            await connection.Transport.Output.WriteAsync(frame).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ConnectionResetException or InvalidOperationException)
        {
        }
    }
}
