// One client connection: the read loop that cuts and decodes frames, the rules about which frames may
// arrive when, error replies, and releasing what the session holds when it ends. The handlers for each op
// live in the other Session.*.cs files; Session.Delivering.cs is the session as partitions deliver to it.
using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Sinew.Broker.Diagnostics;
using Sinew.Broker.Queues;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Network;

/// <summary>Where a delivery came from, so a settlement can find its partition.</summary>
internal readonly record struct DeliveryRef(Partition Partition, long Offset, ServerSubscription Subscription);

internal sealed partial class Session : IDisposable
{
    private readonly ConnectionContext _connection;
    private readonly SessionContext _broker;
    private readonly OutboundBuffer _out = new();
    private readonly CancellationTokenSource _closing = new();
    // What the session holds; a resuming Hello swaps in the dormant session's.
    private SessionState _state;
    private Task? _writer;
    private long _pendingDeliveryBytes;
    private uint _nextServerRequestId;
    private long _lastReceivedMs;
    private long _lastSentMs;
    private bool _handshakeDone;
    // Set when the broker ends the session itself (shutdown, a client too slow to read): what it returns then is no
    // failure of the messages.
    private volatile bool _endedByBroker;
    // Cleared when the session must end with its connection: Goodbye, or a protocol error the client made.
    private volatile bool _resumable = true;
    private string _closeReason = "the client disconnected";

    public Session(ConnectionContext connection, SessionContext broker)
    {
        _connection = connection;
        _broker = broker;
        Id = connection.ConnectionId;
        _state = new SessionState(null);
    }

    public string Id { get; }

    public string SessionId => _state.SessionId;

    private ConcurrentDictionary<long, DeliveryRef> _deliveries => _state.Deliveries;

    private Dictionary<ulong, ServerSubscription> _subscriptions => _state.Subscriptions;

    private ILogger Logger => _broker.Services.Logger;

    private long NowMs => _broker.Services.NowMs;

    private int MaxFrameBytes => _handshakeDone ? _broker.Options.Limits.MaxFrameBytes : FrameLimits.HandshakeMaxFrameBytes;

    /// <summary>Serves the connection until it closes, then returns everything it held.</summary>
    public async Task RunAsync()
    {
        Logger.ConnectionOpened(Id, _connection.RemoteEndPoint?.ToString());
        _lastReceivedMs = _lastSentMs = NowMs;
        var writer = _writer = Task.Run(() => _out.RunAsync(_connection.Transport.Output, _closing.Token));
        var heartbeat = Task.Run(HeartbeatLoopAsync);
        try
        {
            await ReadLoopAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ConnectionResetException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer went away or the connection was aborted.
        }
        finally
        {
            _out.Close();
            EndOrLeaveDormant();
            try
            {
                await writer.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException or IOException or ConnectionResetException or InvalidOperationException)
            {
            }

            await _closing.CancelAsync().ConfigureAwait(false);
            await heartbeat.ConfigureAwait(false);
            Logger.ConnectionClosed(Id, _closeReason);
        }
    }

    private async Task ReadLoopAsync()
    {
        var input = _connection.Transport.Input;
        while (!_closing.IsCancellationRequested)
        {
            var result = await input.ReadAsync(_closing.Token).ConfigureAwait(false);
            var buffer = result.Buffer;
            var keepGoing = true;
            try
            {
                while (keepGoing && FrameReader.TryReadFrame(ref buffer, MaxFrameBytes, out var header, out var reserved, out var body))
                {
                    Volatile.Write(ref _lastReceivedMs, NowMs);
                    keepGoing = await HandleFrameAsync(header, reserved, body).ConfigureAwait(false);
                }
            }
            catch (FrameDecodeException e)
            {
                // A header that cannot be trusted: the stream cannot be resynchronised.
                FailConnection(0, e.Kind.ErrorCode(), e.Message);
                keepGoing = false;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (!keepGoing)
            {
                return;
            }

            if (result.IsCompleted)
            {
                if (!buffer.IsEmpty)
                {
                    _closeReason = $"the client closed the connection inside a frame ({buffer.Length} bytes unread)";
                }

                return;
            }
        }
    }

    /// <summary>Decodes and handles one frame.</summary>
    /// <returns>False when the connection must close.</returns>
    private async ValueTask<bool> HandleFrameAsync(FrameHeader header, ushort reserved, ReadOnlySequence<byte> body)
    {
        IWireMessage message;
        try
        {
            message = FrameDecoder.DecodeBody(header, reserved, body);
        }
        catch (FrameDecodeException e) when (e.Kind == DecodeErrorKind.UnknownOpcode && _handshakeDone)
        {
            // The body was complete and is skipped: a newer client may send ops this broker lacks.
            SendError(header.RequestId, ErrorCode.UnknownOp, e.Message);
            return true;
        }
        catch (FrameDecodeException e) when (e.Kind == DecodeErrorKind.UnknownOpcode)
        {
            // Before the handshake nothing but Hello is allowed (spec 4.1), known op or not.
            FailConnection(header.RequestId, ErrorCode.ProtocolViolation, $"the first frame must be Hello, not an unknown op ({e.Message})");
            return false;
        }
        catch (FrameDecodeException e)
        {
            Logger.BadFrame(Id, e.Message);
            FailConnection(header.RequestId, e.Kind.ErrorCode(), e.Message);
            return false;
        }

        if (!_handshakeDone)
        {
            if (message is not Hello hello)
            {
                FailConnection(header.RequestId, ErrorCode.ProtocolViolation,
                    $"the first frame must be Hello, not {header.Opcode}");
                return false;
            }

            return HandleHello(header, hello);
        }

        try
        {
            ListLengthValidator.Check(message, _broker.Options.Limits.MaxListItems);
            switch (message)
            {
                case Ping:
                    Send(Pong.Instance, header.RequestId);
                    return true;
                case Pong:
                    return true;
                case TopologyAck ack:
                    HandleTopologyAck(ack);
                    return true;
                case Goodbye goodbye:
                    _resumable = false;
                    ReleaseEverything(HandedOut.Listed(goodbye.HandedOut));
                    Send(Ok.Instance, header.RequestId);
                    _closeReason = "the client said goodbye";
                    return false;
                case DeclareQueue declare:
                    HandleDeclareQueue(header.RequestId, declare);
                    return true;
                case Publish publish:
                    HandlePublish(header, publish);
                    return true;
                case PublishBatch batch:
                    HandlePublishBatch(header, batch);
                    return true;
                case Subscribe subscribe:
                    HandleSubscribe(header.RequestId, subscribe);
                    return true;
                case Unsubscribe unsubscribe:
                    HandleUnsubscribe(header.RequestId, unsubscribe);
                    return true;
                case Ack ack:
                    HandleAck(header.RequestId, ack);
                    return true;
                case Nack nack:
                    HandleNack(header.RequestId, nack);
                    return true;
                case ExtendLease extend:
                    HandleExtendLease(header.RequestId, extend);
                    return true;
                case TopologyRequest:
                    HandleTopologyRequest(header.RequestId);
                    return true;
                case Reconcile reconcile:
                    HandleReconcile(header.RequestId, reconcile);
                    return true;
                case DeclareStream or SubscribeStream:
                    SendError(header.RequestId, ErrorCode.Invalid,
                        $"{header.Opcode} is not supported by this broker version; streams arrive in a later release",
                        new Dictionary<string, string> { ["reason"] = "not_supported" });
                    return true;
                case Hello:
                    FailConnection(header.RequestId, ErrorCode.ProtocolViolation, "the session already completed its handshake; Hello may only be sent once");
                    return false;
                default:
                    FailConnection(header.RequestId, ErrorCode.ProtocolViolation, $"{header.Opcode} is sent by brokers, not clients");
                    return false;
            }
        }
        catch (BrokerErrorException e)
        {
            SendError(header.RequestId, e.Code, e.Message, e.Details);
            if (ErrorCodes.Get(e.Code).ClosesConnection)
            {
                _resumable = false;
                return false;
            }

            return true;
        }
        catch (IOException e) when (Storage.StorageFailure.IsOutOfSpace(e))
        {
            SendError(header.RequestId, ErrorCode.ResourceExhausted, $"the broker's disk is full: {e.Message}",
                new Dictionary<string, string> { ["reason"] = "disk_full" });
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Logger.RequestFailed(e, Id, header.Opcode.ToString());
            SendError(header.RequestId, ErrorCode.Internal, $"the broker failed to handle {header.Opcode}: {e.Message}");
            return true;
        }
    }

    private void Send(IWireMessage message, uint requestId = 0, FrameFlags flags = FrameFlags.None, Action? onWritten = null)
    {
        if (_out.Send(message, requestId, flags, onWritten))
        {
            Volatile.Write(ref _lastSentMs, NowMs);
        }
    }

    private void SendError(uint requestId, ErrorCode code, string message, IReadOnlyDictionary<string, string>? details = null) =>
        Send(new Error((ushort)code, ErrorCodes.Get(code).Retryable, message, details), requestId);

    /// <summary>Sends a fatal error; the connection closes once it has been written.</summary>
    private void FailConnection(uint requestId, ErrorCode code, string message, IReadOnlyDictionary<string, string>? details = null)
    {
        _closeReason = $"{ErrorCodes.Get(code).Name}: {message}";
        _resumable = false;
        SendError(requestId, code, message, details);
    }

    /// <summary>Ends the connection from the broker's side (shutdown, heartbeat timeout, slow reader).</summary>
    public void Abort(string reason)
    {
        _closeReason = reason;
        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        _connection.Abort(new ConnectionAbortedException(reason));
    }

    public void Dispose() => _closing.Dispose();

    private void ReleaseEverything(HandedOut handedOut) => _state.ReleaseEverything(handedOut);

    /// <summary>After the connection closed: a session whose connection broke stays dormant for the reconnect grace
    /// window (specification section 4.5); any other ends now. A broken connection's deliveries count a failure
    /// when returned, since the broker cannot tell which ones the application held.</summary>
    private void EndOrLeaveDormant()
    {
        if (_endedByBroker)
        {
            ReleaseEverything(HandedOut.None);
            _state.Detach(this);
            return;
        }

        if (_resumable && _handshakeDone && Describe() is { } summary && _broker.Sessions.TryLeaveDormant(_state, this, summary))
        {
            _closeReason += "; the session stays dormant for the reconnect grace window";
            return;
        }

        ReleaseEverything(HandedOut.Every);
        _state.Detach(this);
    }

    /// <summary>Tells the client its subscriptions end because the broker stops, and that the connection
    /// closes by <paramref name="deadlineAtMs"/> (unix ms) at the latest, then closes.</summary>
    public void CloseForShutdown(ulong deadlineAtMs)
    {
        // Set before the notices go out: a client that closes on reading them still counts no failure.
        _endedByBroker = true;
        List<ServerSubscription> subscriptions;
        lock (_subscriptions)
        {
            subscriptions = [.. _subscriptions.Values];
        }

        foreach (var subscription in subscriptions)
        {
            Send(new SubscriptionClosed(subscription.Id, CloseReason.ServerShutdown, "the broker is shutting down"));
        }

        // The drain notice comes last, so a client that reconnects on it has already seen every subscription end.
        Send(new GoingAway(deadlineAtMs, "the broker is shutting down"));
        ReleaseEverything(HandedOut.None);
        _closeReason = "the broker is shutting down";
        _out.Close();

        // Once the notices are written, stop reading as well, so the connection closes now: a request sent
        // meanwhile fails at once as a lost connection instead of waiting for the shutdown deadline.
        _writer?.ContinueWith(static (_, state) => ((Session)state!).StopReading(), this, CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void StopReading()
    {
        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The session already ended.
        }
    }
}
