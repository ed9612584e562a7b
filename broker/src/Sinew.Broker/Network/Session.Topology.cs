// The session's view of the routing catalogue: answering TopologyRequest, taking pushes from the TopologyPusher
// (at most one not yet written), recording what the client acknowledged, and what the admin endpoint shows.
using Sinew.Protocol.Messages;

namespace Sinew.Broker.Network;

internal sealed partial class Session
{
    // Guards the fields below, and orders a push against a DeclareQueueOk: a client told of a queue must never
    // then be pushed an older catalogue without it, which would make it forget the queue's route.
    private readonly object _topologyGate = new();
    private bool _topologyReady;
    private bool _topologyInFlight;
    // The generation the client has, or counts as having: what was current at its handshake, or sent since.
    private long _topologyCovered = -1;
    private long _topologySent = -1;
    private long _topologyFloor = -1;
    private long _topologyAcked = -1;
    private long _connectedAtMs;
    private string _clientName = "";
    private string _clientVersion = "";

    /// <summary>Called after HelloOk is queued: from now on catalogue changes are pushed. What was current at the
    /// handshake counts as known; a client that wants it asks with TopologyRequest.</summary>
    private void StartTopology(Hello hello)
    {
        lock (_topologyGate)
        {
            _clientName = hello.ClientName;
            _clientVersion = hello.ClientVersion;
            _connectedAtMs = NowMs;
            _topologyCovered = _broker.Catalogue.Generation;
            _topologyReady = true;
        }
    }

    /// <summary>Queues <paramref name="frame"/> unless the client has been sent it (or newer), a push is still
    /// waiting for the socket, or a reply already told the client of something newer.</summary>
    public void OfferTopology(TopologyFrame frame)
    {
        lock (_topologyGate)
        {
            if (!_topologyReady || _topologyInFlight || frame.Generation <= _topologyCovered || frame.Generation < _topologyFloor)
            {
                return;
            }

            if (_out.SendShared(frame.Frame, onWritten: TopologyWritten))
            {
                _topologyInFlight = true;
                _topologyCovered = _topologySent = frame.Generation;
                Volatile.Write(ref _lastSentMs, NowMs);
            }
        }
    }

    // The push reached the socket; if the catalogue moved on meanwhile, this connection was skipped and needs a round.
    private void TopologyWritten()
    {
        bool behind;
        lock (_topologyGate)
        {
            _topologyInFlight = false;
            behind = _broker.Catalogue.Generation > _topologyCovered;
        }

        if (behind)
        {
            _broker.TopologyPusher.Signal();
        }
    }

    private void HandleTopologyRequest(uint requestId)
    {
        var frame = _broker.Topology.Latest();
        lock (_topologyGate)
        {
            if (_out.SendShared(frame.Frame, requestId))
            {
                _topologyCovered = Math.Max(_topologyCovered, frame.Generation);
                _topologySent = Math.Max(_topologySent, frame.Generation);
                Volatile.Write(ref _lastSentMs, NowMs);
            }
        }
    }

    private void HandleTopologyAck(TopologyAck ack)
    {
        lock (_topologyGate)
        {
            _topologyAcked = (long)Math.Min(ack.Generation, long.MaxValue);
        }
    }

    /// <summary>Sends a reply that tells the client of the catalogue as it is now (a DeclareQueueOk): no push of an
    /// older generation may follow it.</summary>
    private void SendReplyOfCatalogue(IWireMessage reply, uint requestId)
    {
        lock (_topologyGate)
        {
            _topologyFloor = _broker.Catalogue.Generation;
            Send(reply, requestId);
        }
    }

    /// <summary>What the admin endpoint shows of this connection; null before the handshake.</summary>
    public ConnectionSummary? Describe()
    {
        int subscriptions;
        lock (_subscriptions)
        {
            subscriptions = _subscriptions.Count;
        }

        lock (_topologyGate)
        {
            return _topologyReady
                ? new ConnectionSummary(Id, SessionId, _connection.RemoteEndPoint?.ToString(), _clientName, _clientVersion, _connectedAtMs,
                    subscriptions, _deliveries.Count, _topologySent < 0 ? null : _topologySent, _topologyAcked < 0 ? null : _topologyAcked)
                : null;
        }
    }
}
