// One TCP connection to a broker: sending requests and correlating their replies, the subscriptions it
// carries, and how it ends (abort on failure, Goodbye on close). The handshake, the read loop, flow control and
// the heartbeat live in the partial files named after them.
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Sinew.Client.Diagnostics;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;
using Sinew.Protocol.Timing;

namespace Sinew.Client.Connection;

/// <summary>The connection engine: one socket, one session. Requests are correlated by request id and time out
/// after the request timeout; a read loop routes replies, deliveries and pushes; a writer loop coalesces frames;
/// a maintenance loop sends heartbeats, detects a dead peer and expires requests. Any failure aborts the
/// connection: every waiting request fails and every subscription on it ends. A connection is never reused
/// after it ended; the client opens a new one.</summary>
internal sealed partial class SinewConnection : IReadPause, IDisposable
{
    private const int Open = 0;
    private const int Closing = 1;
    private const int Ended = 2;

    private readonly Socket _socket;
    private readonly ReceiveBuffer _receive;
    private readonly FrameWriter _writer = new();
    private readonly PendingRequests _pending = new();
    private readonly Dictionary<ulong, IDeliverySink> _sinks = [];
    private readonly HashSet<ulong> _retiredSubscriptions = [];

    // Per subscription id, what the application holds of it, until its Unsubscribe is on its way; guarded by _sinks.
    private readonly Dictionary<ulong, HandedOutDeliveries> _handedOut = [];
    private readonly IConnectionEvents _events;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly long _requestTimeoutMs;
    private readonly object _stateGate = new();
    private int _state;
    private Exception? _endReason;
    private Error? _fatalError;
    private Task _loops = Task.CompletedTask;

    private SinewConnection(Socket socket, ReceiveBuffer receive, BrokerEndpoint endpoint, HelloOk session,
        ConnectionSettings settings, IConnectionEvents events, ILogger logger)
    {
        _socket = socket;
        _receive = receive;
        Endpoint = endpoint;
        Session = session;
        _events = events;
        _logger = logger;
        _requestTimeoutMs = (long)settings.RequestTimeout.TotalMilliseconds;
        // Past 5 minutes an interval would only delay noticing a dead broker, so a larger announcement is read as
        // the maximum (protocol section 4.4).
        HeartbeatMs = (long)DurationRules.AcceptHeartbeat(session.HeartbeatMs);
        MaxBodyBytes = (int)Math.Min(session.Limits.MaxFrameBytes, (uint)Array.MaxLength - FrameHeader.Size);
        _writer.Version = session.Version;
        _writer.MaxBodyBytes = MaxBodyBytes;
        MaxListItems = FrameLimits.MaxListItems(session.Limits);
        Settlements = new SettlementBatcher(this);
        _lastReceivedMs = Environment.TickCount64;
    }

    /// <summary>The broker this connection talks to.</summary>
    public BrokerEndpoint Endpoint { get; }

    /// <summary>The broker's HelloOk: session, negotiated version, heartbeat and limits.</summary>
    public HelloOk Session { get; }

    public Limits Limits => Session.Limits;

    /// <summary>The negotiated heartbeat interval in milliseconds; 0 when heartbeats are off.</summary>
    public long HeartbeatMs { get; }

    /// <summary>The largest frame body either side may send on this connection.</summary>
    public int MaxBodyBytes { get; }

    /// <summary>The most entries the broker takes in one list of a frame (the default when it does not say).</summary>
    public int MaxListItems { get; }

    /// <summary>Acks, nacks and lease extensions, coalesced.</summary>
    public SettlementBatcher Settlements { get; }

    /// <summary>Whether new work may start on this connection.</summary>
    public bool IsOpen => Volatile.Read(ref _state) == Open;

    /// <summary>Why the connection ended; null while it has not.</summary>
    public Exception? EndReason
    {
        get
        {
            lock (_stateGate)
            {
                return _endReason;
            }
        }
    }

    /// <summary>Completes when the read, write and maintenance loops have all stopped.</summary>
    public Task Completion => _loops;

    /// <summary>Waits until fewer than the writer's high watermark of bytes are queued.</summary>
    public ValueTask WaitForRoomAsync(CancellationToken cancellationToken) => _writer.WaitForRoomAsync(cancellationToken);

    /// <summary>Sends a request and returns its reply, whatever kind it is (the caller checks).</summary>
    public Task<IWireMessage> RequestAsync(IWireMessage message, string operation, CancellationToken cancellationToken)
    {
        var pending = new PendingReply(operation);
        Send(pending, message, FrameFlags.None, cancellationToken);
        return pending.Task;
    }

    /// <summary>Registers <paramref name="pending"/>, then queues the frame with its request id.</summary>
    /// <exception cref="OperationCanceledException">The token was cancelled before anything was sent.</exception>
    /// <exception cref="ConnectionLostException">The connection has ended.</exception>
    public void Send<T>(PendingRequest<T> pending, IWireMessage message, FrameFlags flags, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Queue(pending, message, flags);
        pending.AttachCancellation(_pending, cancellationToken);
    }

    /// <summary>Sends one settlement frame, answered by SettleOk.</summary>
    public void SendSettlement(SettleChunk chunk, IWireMessage message) => Queue(chunk, message, FrameFlags.None);

    /// <summary>Queues a frame that wants no reply (request id 0).</summary>
    /// <exception cref="ConnectionLostException">The connection has ended.</exception>
    public void SendOneWay(IWireMessage message, string operation, FrameFlags flags = FrameFlags.None)
    {
        if (!_writer.TryWrite(message, 0, flags))
        {
            throw EndedError(operation);
        }
    }

    /// <summary>Routes the deliveries of <paramref name="subscriptionId"/> to <paramref name="sink"/>. Called on the
    /// read loop when SubscribeOk arrives, so a Deliver right behind it cannot be missed.</summary>
    public void AddSink(ulong subscriptionId, IDeliverySink sink)
    {
        lock (_sinks)
        {
            _sinks[subscriptionId] = sink;
            _handedOut[subscriptionId] = sink.HandedOut;
        }
    }

    /// <summary>Stops routing a subscription's frames; late deliveries for it are dropped quietly (the broker
    /// returns them to the queue when the unsubscribe lands).</summary>
    public void RemoveSink(ulong subscriptionId)
    {
        lock (_sinks)
        {
            _sinks.Remove(subscriptionId);
            _retiredSubscriptions.Add(subscriptionId);
        }
    }

    /// <summary>Ends a subscription at the broker: the settlements issued so far are sent first, then an Unsubscribe
    /// naming the subscription's deliveries the application holds (an empty list when it holds none, which tells the
    /// broker that no returned delivery counts a failure). Call <see cref="RemoveSink"/> first.</summary>
    /// <returns>The broker's reply.</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled before anything was sent.</exception>
    /// <exception cref="ConnectionLostException">The connection has ended.</exception>
    public Task<IWireMessage> UnsubscribeAsync(ulong subscriptionId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Settlements.FlushNow();
        var handedOut = new List<ulong>();
        HandedOutDeliveries? held;
        lock (_sinks)
        {
            _handedOut.TryGetValue(subscriptionId, out held);
        }

        held?.SealInto(handedOut, MaxListItems);
        var pending = new PendingReply("Unsubscribe");
        Send(pending, new Unsubscribe(subscriptionId, handedOut), FrameFlags.None, cancellationToken);

        // The broker handles frames in order, so a Goodbye behind this Unsubscribe need not name these again.
        lock (_sinks)
        {
            _handedOut.Remove(subscriptionId);
        }

        held?.Clear();
        return pending.Task;
    }

    /// <summary>Closes cleanly: Goodbye, a bounded wait for its Ok, then the socket and every loop. The Goodbye
    /// names every delivery the application holds of the subscriptions still open on this connection, after the
    /// settlements issued so far.</summary>
    public async Task CloseAsync(TimeSpan timeout)
    {
        var sendGoodbye = false;
        lock (_stateGate)
        {
            if (_state == Open)
            {
                _state = Closing;
                sendGoodbye = true;
            }
        }

        if (sendGoodbye)
        {
            try
            {
                Settlements.FlushNow();
                var goodbye = new PendingReply("Goodbye");
                Queue(goodbye, new Goodbye(HandedOutOfSession()), FrameFlags.None);
                await goodbye.Task.WaitAsync(timeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                Log.CloseTimedOut(_logger, "Goodbye", Endpoint, (long)timeout.TotalMilliseconds);
            }
            catch (SinewException)
            {
                // The connection ended on its own meanwhile; there is nothing left to close politely.
            }

            Abort(new ClientClosedException("The client closed the connection."));
        }

        await _loops.ConfigureAwait(false);
    }

    /// <summary>Ends the connection at once, as if it had dropped (see <see cref="Abort"/>).</summary>
    public void Dispose() => Abort(new ClientClosedException("The connection was disposed."));

    /// <summary>Ends the connection at once: fails what waits, ends subscriptions, stops the loops. Idempotent.</summary>
    public void Abort(Exception reason)
    {
        lock (_stateGate)
        {
            if (_state == Ended)
            {
                return;
            }

            // After a Goodbye the broker closes the socket itself; that is the clean end, not a loss.
            if (_state == Closing && reason is not ClientClosedException)
            {
                reason = new ClientClosedException("The client closed the connection.", reason);
            }
            else if (_fatalError is { } fatal && reason is ConnectionLostException)
            {
                reason = new ConnectionLostException(
                    $"The broker at {Endpoint} closed the connection after reporting {Protocol.Errors.ErrorCodes.NameOf(fatal.Code)}: {fatal.Message}",
                    Endpoint.ToString(), Errors.BrokerErrors.FromError(fatal, "The connection"));
            }

            _state = Ended;
            _endReason = reason;
        }

        _writer.Close();
        _stop.Cancel();
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already reset by the peer.
        }
        catch (ObjectDisposedException)
        {
            // Already closed.
        }

        _socket.Dispose();

        ReleaseReadingHolders();
        _pending.FailAll(request => ErrorFor(request.Describe(), reason));
        Settlements.Close(() => ErrorFor("A settlement", reason));

        IDeliverySink[] sinks;
        HandedOutDeliveries[] held;
        lock (_sinks)
        {
            sinks = [.. _sinks.Values];
            _sinks.Clear();
            held = [.. _handedOut.Values];
            _handedOut.Clear();
        }

        // The session's deliveries are gone with it: the broker returns them, and their ids mean nothing to the next.
        foreach (var set in held)
        {
            set.Clear();
        }

        foreach (var sink in sinks)
        {
            sink.OnConnectionEnded(reason);
        }

        if (reason is ClientClosedException)
        {
            Log.ConnectionClosed(_logger, Endpoint);
        }
        else
        {
            Log.ConnectionLost(_logger, Endpoint, reason.Message);
        }

        _events.OnConnectionEnded(this, reason);
    }

    /// <summary>The error for an operation that cannot run because the connection ended.</summary>
    public SinewException EndedError(string operation)
    {
        var reason = EndReason;
        return reason is null
            ? new ConnectionLostException($"{operation} could not be sent: the connection to {Endpoint} is closing.", Endpoint.ToString())
            : ErrorFor(operation, reason);
    }

    /// <summary>The union of what the application holds of every subscription on this connection, at most the
    /// broker's list limit, sealing each set: nothing more is handed out once the Goodbye is built.</summary>
    private List<ulong> HandedOutOfSession()
    {
        var handedOut = new List<ulong>();
        lock (_sinks)
        {
            foreach (var set in _handedOut.Values)
            {
                set.SealInto(handedOut, MaxListItems);
            }
        }

        return handedOut;
    }

    private void Queue(IPendingRequest pending, IWireMessage message, FrameFlags flags)
    {
        pending.DeadlineMs = Environment.TickCount64 + _requestTimeoutMs;
        if (!_pending.TryAdd(pending))
        {
            throw EndedError(pending.Describe());
        }

        if (pending is not PendingPing)
        {
            // A paused socket holds replies back: the read loop reads on until this one has arrived.
            WakeReader();
        }

        bool written;
        try
        {
            written = _writer.TryWrite(message, pending.RequestId, flags);
        }
        catch
        {
            _pending.Remove(pending.RequestId, pending);
            throw;
        }

        if (!written)
        {
            _pending.Remove(pending.RequestId, pending);
            throw EndedError(pending.Describe());
        }
    }

    private SinewException ErrorFor(string operation, Exception reason) => reason switch
    {
        ClientClosedException => new ClientClosedException($"{operation} did not complete: the client was closed.", reason),
        ProtocolException => new ConnectionLostException(
            $"{operation} did not complete: the connection to {Endpoint} was closed because the broker broke the protocol ({reason.Message}). It was not replayed and may or may not have taken effect.",
            Endpoint.ToString(), reason),
        _ => new ConnectionLostException(
            $"{operation} did not complete: the connection to {Endpoint} dropped ({reason.Message}). It was not replayed and may or may not have taken effect.",
            Endpoint.ToString(), reason),
    };
}
