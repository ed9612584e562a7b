// Sits between every client and the broker under test (and the authentication-enabled broker) as a
// loopback relay, and records the frames that pass while a scenario runs. Scenarios and raw cases run
// one at a time, so whatever crosses the relay between Begin and End belongs to the one running.
using System.Collections.Concurrent;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;

namespace Sinew.Conformance.Observation;

internal sealed class FrameObserver : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly List<ObservingRelay> _relays = [];
    private HashSet<string> _seen = new(StringComparer.Ordinal);
    private HashSet<string> _refused = new(StringComparer.Ordinal);

    /// <summary>Starts a relay in front of <paramref name="upstream"/> and returns the endpoint clients should use.</summary>
    public string Front(string upstream)
    {
        var relay = ObservingRelay.Start(upstream, this);
        lock (_gate)
        {
            _relays.Add(relay);
        }

        return relay.Endpoint;
    }

    /// <summary>Forgets what was seen so far: what follows belongs to the next scenario.</summary>
    public void Begin()
    {
        lock (_gate)
        {
            _seen = new HashSet<string>(StringComparer.Ordinal);
            _refused = new HashSet<string>(StringComparer.Ordinal);
        }
    }

    /// <summary>What was seen since <see cref="Begin"/>.</summary>
    public WireObservation End(string id, string client)
    {
        lock (_gate)
        {
            return new WireObservation(id, client, _seen, _refused);
        }
    }

    /// <summary>Cuts every relayed connection whose client said <paramref name="clientName"/> in its Hello, as a
    /// crashed consumer or a broken network would: both sides see a reset, no Goodbye.</summary>
    /// <returns>How many connections were cut.</returns>
    public int Cut(string clientName)
    {
        List<ObservingRelay> relays;
        lock (_gate)
        {
            relays = [.. _relays];
        }

        return relays.Sum(relay => relay.Cut(clientName));
    }

    /// <summary>Per relayed connection: the op of each request still waiting for its answer, by request id, and
    /// the client name its Hello gave.</summary>
    internal sealed class ConnectionLedger
    {
        public ConcurrentDictionary<uint, string> Requests { get; } = new();

        public volatile string? ClientName;
    }

    internal void OnClientFrame(ConnectionLedger ledger, FrameHeader header, IWireMessage? message)
    {
        if (!Enum.IsDefined(header.Opcode))
        {
            return;
        }

        var op = header.Opcode.ToString();
        if (message is not null)
        {
            Record(op);
        }

        if (message is Hello hello)
        {
            ledger.ClientName = hello.ClientName;
        }

        if (header.RequestId != 0)
        {
            ledger.Requests[header.RequestId] = op;
        }
    }

    internal void OnBrokerFrame(ConnectionLedger ledger, FrameHeader header, IWireMessage? message)
    {
        if (!Enum.IsDefined(header.Opcode) || message is null)
        {
            return;
        }

        Record(header.Opcode.ToString());
        if (header.RequestId != 0 && message is not Ping && ledger.Requests.TryRemove(header.RequestId, out var request)
            && message is Error error && IsRefusal(error))
        {
            lock (_gate)
            {
                _refused.Add(request);
            }
        }
    }

    /// <summary>How a broker says it does not serve an op: <c>unknown_op</c>, or any error whose details give the
    /// reason <c>not_supported</c> (conformance/README.md, "Not implemented").</summary>
    internal static bool IsRefusal(Error error) =>
        error.Code == (ushort)ErrorCode.UnknownOp
        || (error.Details is { } details && details.TryGetValue("reason", out var reason) && reason == "not_supported");

    private void Record(string op)
    {
        lock (_gate)
        {
            _seen.Add(op);
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<ObservingRelay> relays;
        lock (_gate)
        {
            relays = [.. _relays];
            _relays.Clear();
        }

        foreach (var relay in relays)
        {
            await relay.DisposeAsync().ConfigureAwait(false);
        }
    }
}
