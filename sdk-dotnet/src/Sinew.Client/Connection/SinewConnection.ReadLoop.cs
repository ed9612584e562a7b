// The read loop: cuts frames out of the socket's bytes and routes each one — replies to their requests,
// deliveries to their subscriptions, pushes to the client. It never runs user code and never waits on it.
using System.Net.Sockets;
using Sinew.Client.Diagnostics;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Client.Connection;

internal sealed partial class SinewConnection
{
    private long _lastReceivedMs;

    /// <summary>When the last bytes arrived (<see cref="Environment.TickCount64"/>).</summary>
    public long LastReceivedMs => Volatile.Read(ref _lastReceivedMs);

    private async Task ReadLoopAsync()
    {
        Exception? failure = null;
        try
        {
            // Frames that arrived together with HelloOk are already buffered.
            ProcessBufferedFrames();
            while (true)
            {
                await WhileReadingPausedAsync().ConfigureAwait(false);
                var read = await _socket.ReceiveAsync(_receive.GetFreeMemory(), SocketFlags.None, _stop.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    failure = new ConnectionLostException($"The broker at {Endpoint} closed the connection.", Endpoint.ToString());
                    break;
                }

                Volatile.Write(ref _lastReceivedMs, Environment.TickCount64);
                _receive.Advance(read);
                ProcessBufferedFrames();
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            failure = new ConnectionLostException($"Reading from {Endpoint} failed: {e.Message}", Endpoint.ToString(), e);
        }
        catch (FrameDecodeException e)
        {
            Log.ProtocolViolation(_logger, Endpoint, e.Message);
            failure = new ProtocolException($"The broker at {Endpoint} sent a frame that could not be decoded: {e.Message}", e);
        }
        catch (ProtocolException e)
        {
            Log.ProtocolViolation(_logger, Endpoint, e.Message);
            failure = e;
        }
        finally
        {
            Abort(failure ?? new ConnectionLostException($"The connection to {Endpoint} was closed.", Endpoint.ToString()));
            _receive.Dispose();
        }
    }

    private void ProcessBufferedFrames()
    {
        var data = _receive.Data;
        var before = data.Length;
        while (FrameReader.TryReadFrame(ref data, MaxBodyBytes, out var header, out var reserved, out var body))
        {
            if (header.Version != Session.Version)
            {
                throw new ProtocolException(
                    $"The broker sent a frame in protocol version {header.Version} after negotiating version {Session.Version}.");
            }

            IWireMessage message;
            try
            {
                message = FrameDecoder.DecodeBody(header, reserved, body);
            }
            catch (FrameDecodeException e) when (e.Kind == DecodeErrorKind.UnknownOpcode)
            {
                // A newer broker may push ops this client does not know; the protocol says to skip them.
                Log.UnknownOpSkipped(_logger, Endpoint, e.Message);
                continue;
            }

            Dispatch(header, message);
        }

        _receive.Consume((int)(before - data.Length));
    }

    private void Dispatch(FrameHeader header, IWireMessage message)
    {
        switch (message)
        {
            case Deliver deliver:
                RouteDeliver(deliver);
                return;
            case Ping:
                _writer.TryWrite(Pong.Instance, header.RequestId);
                return;
            case SubscriptionClosed closed:
                RouteClosed(closed);
                return;
            case Sinew.Protocol.Messages.Topology topology when header.RequestId == 0:
                _events.OnTopologyPushed(this, topology);
                _writer.TryWrite(new TopologyAck(topology.Generation), 0);
                return;
            case Error error when header.RequestId == 0:
                OnUnsolicitedError(error);
                return;
            case GoingAway notice:
                _events.OnGoingAway(this, notice);
                return;
            case AssignmentChanged:
                // Exclusive consumer groups are not offered by this client, so no subscription can receive one.
                return;
            case Pong or Ok or Error or DeclareQueueOk or DeclareStreamOk or PublishOk or SubscribeOk or SettleOk or Sinew.Protocol.Messages.Topology or ReconcileOk:
                CompleteRequest(header, message);
                return;
            default:
                throw new ProtocolException($"The broker sent {message.Opcode}, which only clients send.");
        }
    }

    private void CompleteRequest(FrameHeader header, IWireMessage message)
    {
        var pending = _pending.Take(header.RequestId);
        if (pending is null)
        {
            Log.LateReply(_logger, message.Opcode, header.RequestId);
            if (message is SubscribeOk late)
            {
                // The subscribe gave up waiting, but the broker created the subscription: end it, or its
                // deliveries would be held by nobody until the session ends.
                Retire(late.SubscriptionId);
            }

            return;
        }

        if (pending is PendingSubscribe subscribe && message is SubscribeOk ok)
        {
            // Registered here, on the read loop, so a Deliver right behind the SubscribeOk finds its subscription.
            AddSink(ok.SubscriptionId, subscribe.Sink);
            pending.Complete(message);
            if (subscribe.Task.Status != TaskStatus.RanToCompletion)
            {
                // The caller stopped waiting at the same moment; nobody will own this subscription.
                lock (_sinks)
                {
                    _sinks.Remove(ok.SubscriptionId);
                }

                Retire(ok.SubscriptionId);
            }

            return;
        }

        pending.Complete(message);
    }

    private void RouteDeliver(Deliver deliver)
    {
        IDeliverySink? sink;
        lock (_sinks)
        {
            if (!_sinks.TryGetValue(deliver.SubscriptionId, out sink))
            {
                if (_retiredSubscriptions.Contains(deliver.SubscriptionId))
                {
                    return;
                }
            }
        }

        if (sink is null)
        {
            Log.OrphanSubscription(_logger, deliver.SubscriptionId);
            Retire(deliver.SubscriptionId);
            return;
        }

        sink.OnDeliver(deliver);
    }

    private void RouteClosed(SubscriptionClosed closed)
    {
        IDeliverySink? sink;
        HandedOutDeliveries? held;
        lock (_sinks)
        {
            _sinks.Remove(closed.SubscriptionId, out sink);
            _retiredSubscriptions.Add(closed.SubscriptionId);
            _handedOut.Remove(closed.SubscriptionId, out held);
        }

        // The broker has taken back the subscription's deliveries already: no Unsubscribe or Goodbye names them.
        held?.Clear();
        sink?.OnClosedByBroker(closed);
    }

    /// <summary>Ends a broker subscription nobody holds; its unsettled deliveries return to the queue. The empty
    /// list says that the application was given none of them, so none counts a failure.</summary>
    private void Retire(ulong subscriptionId)
    {
        lock (_sinks)
        {
            if (!_retiredSubscriptions.Add(subscriptionId))
            {
                return;
            }
        }

        _writer.TryWrite(new Unsubscribe(subscriptionId, []), 0);
    }

    private void OnUnsolicitedError(Error error)
    {
        Log.UnsolicitedError(_logger, Endpoint, error.Code, error.Message);
        if (ErrorCodes.TryGet(error.Code, out var info) && info.ClosesConnection)
        {
            // The broker closes the socket right after a fatal error; remember why, for the errors that follow.
            lock (_stateGate)
            {
                _fatalError = error;
            }

            return;
        }

        _events.OnUnsolicitedError(this, Errors.BrokerErrors.FromError(error, $"A request to {Endpoint} that asked for no answer"));
    }
}
