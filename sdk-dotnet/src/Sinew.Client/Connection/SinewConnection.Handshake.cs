// Opening a connection: TCP connect, Hello, and HelloOk or the reason there is none.
using System.Buffers;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Sinew.Client.Diagnostics;
using Sinew.Client.Errors;
using Sinew.Client.Internal;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Client.Connection;

internal sealed partial class SinewConnection
{
    /// <summary>Connects to one endpoint and completes the handshake within the connect timeout.</summary>
    /// <exception cref="ConnectionException">Refused, timed out, closed, or the peer is not a Sinew broker.</exception>
    /// <exception cref="BrokerException">The broker refused the session (<c>unauthorized</c>,
    /// <c>protocol_mismatch</c>).</exception>
    /// <exception cref="ProtocolException">The broker answered with something the handshake does not allow.</exception>
    public static async Task<SinewConnection> ConnectAsync(BrokerEndpoint endpoint, ConnectionSettings settings,
        IConnectionEvents events, ILogger logger, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(settings.ConnectTimeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var receive = new ReceiveBuffer();
        var stage = "connecting";
        try
        {
            await socket.ConnectAsync(endpoint.Host, endpoint.Port, deadline.Token).ConfigureAwait(false);

            stage = "waiting for the handshake answer";
            var hello = new Hello(ProtocolVersions.Min, ProtocolVersions.Max, settings.ClientName, settings.ClientVersion,
                settings.Auth, null, Durations.ToMilliseconds(settings.Heartbeat));
            var helloBytes = FrameEncoder.EncodeToArray(hello, requestId: 1, version: ProtocolVersions.Handshake);
            await socket.SendAsync(helloBytes, SocketFlags.None, deadline.Token).ConfigureAwait(false);

            var reply = await ReadHandshakeReplyAsync(socket, receive, endpoint, deadline.Token).ConfigureAwait(false);
            switch (reply)
            {
                case HelloOk ok when ok.Version is >= ProtocolVersions.Min and <= ProtocolVersions.Max:
                    var connection = new SinewConnection(socket, receive, endpoint, ok, settings, events, logger);
                    connection.Start();
                    Log.Connected(logger, endpoint, ok.ServerId, ok.ServerVersion, ok.SessionId, ok.Version, ok.HeartbeatMs);
                    return connection;
                case HelloOk ok:
                    throw new ProtocolException(
                        $"The broker at {endpoint} chose protocol version {ok.Version}, which this client did not offer ({ProtocolVersions.Min}..{ProtocolVersions.Max}).");
                case Error error:
                    throw BrokerErrors.FromError(error, $"The handshake with {endpoint}");
                default:
                    throw new ProtocolException($"The broker at {endpoint} answered Hello with {reply.Opcode} instead of HelloOk.");
            }
        }
        catch (Exception e)
        {
            var error = e switch
            {
                OperationCanceledException when cancellationToken.IsCancellationRequested => e,
                OperationCanceledException => new ConnectionException(
                    $"{endpoint} did not complete the handshake within the connect timeout of {Durations.Describe(settings.ConnectTimeout)} " +
                    $"(stalled while {stage}). Check that a Sinew broker listens there, or raise SinewClientOptions.ConnectTimeout.", e),
                SocketException socketError => new ConnectionException(
                    $"Could not connect to {endpoint}: {socketError.Message} ({socketError.SocketErrorCode}). Check that the broker is running and the address is right.",
                    e),
                FrameDecodeException { Kind: DecodeErrorKind.BadMagic } => new ConnectionException(
                    $"{endpoint} is not a Sinew broker: it answered with bytes that are not the Sinew protocol{DescribeForeign(receive)}. " +
                    "Check the port: the Sinew protocol listens on 7420 by default, the broker's HTTP endpoint elsewhere.", e),
                FrameDecodeException decode => new ConnectionException(
                    $"{endpoint} sent an invalid handshake answer ({decode.Message}); it is probably not a compatible Sinew broker.", e),
                _ => e,
            };
            socket.Dispose();
            receive.Dispose();
            if (ReferenceEquals(error, e))
            {
                throw;
            }

            throw error;
        }
    }

    private static async Task<IWireMessage> ReadHandshakeReplyAsync(Socket socket, ReceiveBuffer receive, BrokerEndpoint endpoint,
        CancellationToken cancellationToken)
    {
        while (true)
        {
            var data = receive.Data;
            var before = data.Length;
            if (FrameReader.TryReadFrame(ref data, FrameLimits.HandshakeMaxFrameBytes, out var header, out var reserved, out var body))
            {
                var message = FrameDecoder.DecodeBody(header, reserved, body);
                receive.Consume((int)(before - data.Length));
                return message;
            }

            var read = await socket.ReceiveAsync(receive.GetFreeMemory(), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new ConnectionException(
                    $"{endpoint} closed the connection during the handshake without an answer. It may not be a Sinew broker, or it may be shutting down.");
            }

            receive.Advance(read);
        }
    }

    /// <summary>A hint at what a foreign peer is, from its first bytes: an HTTP server answers "HTTP/".</summary>
    private static string DescribeForeign(ReceiveBuffer receive)
    {
        var data = receive.Data;
        if (data.Length < 5)
        {
            return string.Empty;
        }

        Span<byte> start = stackalloc byte[5];
        data.Slice(0, 5).CopyTo(start);
        return start.SequenceEqual("HTTP/"u8) ? " (it looks like an HTTP server)" : string.Empty;
    }

    private void Start()
    {
        var read = Task.Run(ReadLoopAsync);
        var write = Task.Run(WriteLoopAsync);
        var maintain = Task.Run(MaintenanceLoopAsync);
        _loops = Task.WhenAll(read, write, maintain).ContinueWith(static (_, state) =>
        {
            var self = (SinewConnection)state!;
            self._writer.Dispose();
        }, this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            await _writer.RunAsync(_socket, _stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            Abort(new ConnectionLostException($"Writing to {Endpoint} failed: {e.Message}", Endpoint.ToString(), e));
        }
    }
}
