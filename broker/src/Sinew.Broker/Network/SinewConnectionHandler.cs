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

        var limit = broker.Options.Limits.MaxConnections;
        if (!sessions.TryReserve(limit))
        {
            await RefuseAsync(connection, ErrorCode.ResourceExhausted, $"the broker already serves {limit} connections, the most allowed").ConfigureAwait(false);
            return;
        }

        try
        {
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
        finally
        {
            sessions.Release();
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
