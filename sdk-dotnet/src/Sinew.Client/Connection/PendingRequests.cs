// Request ids and the table of requests awaiting replies.
namespace Sinew.Client.Connection;

/// <summary>Allocates request ids (1 upwards, wrapping to 1 and skipping ids still in use, as the protocol
/// asks) and maps them to pending requests.</summary>
internal sealed class PendingRequests
{
    private readonly object _gate = new();
    private readonly Dictionary<uint, IPendingRequest> _requests = [];
    private uint _lastId;
    private int _awaited;
    private bool _closed;

    /// <summary>Requests whose caller waits for the reply: every request but heartbeat pings, whose Pong may stay
    /// unread behind flow control (silence is not judged while reading is paused).</summary>
    public int AwaitedCount => Volatile.Read(ref _awaited);

    /// <summary>Assigns an id and records the request.</summary>
    /// <returns>False when the table was closed by <see cref="FailAll"/>.</returns>
    public bool TryAdd(IPendingRequest request)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return false;
            }

            do
            {
                _lastId = _lastId == uint.MaxValue ? 1 : _lastId + 1;
            }
            while (_requests.ContainsKey(_lastId));

            request.RequestId = _lastId;
            _requests.Add(_lastId, request);
            Count(request, 1);
            return true;
        }
    }

    /// <summary>Removes and returns the request with this id, if it is still waiting.</summary>
    public IPendingRequest? Take(uint requestId)
    {
        lock (_gate)
        {
            if (!_requests.Remove(requestId, out var request))
            {
                return null;
            }

            Count(request, -1);
            return request;
        }
    }

    /// <summary>Removes the request if the id still belongs to it.</summary>
    public void Remove(uint requestId, IPendingRequest request)
    {
        lock (_gate)
        {
            if (_requests.TryGetValue(requestId, out var current) && ReferenceEquals(current, request))
            {
                _requests.Remove(requestId);
                Count(request, -1);
            }
        }
    }

    /// <summary>Fails every request whose deadline has passed.</summary>
    public void Expire(long nowMs, Func<IPendingRequest, Exception> error)
    {
        List<IPendingRequest>? expired = null;
        lock (_gate)
        {
            foreach (var (id, request) in _requests)
            {
                if (request.DeadlineMs <= nowMs)
                {
                    (expired ??= []).Add(request);
                }
            }

            if (expired is null)
            {
                return;
            }

            foreach (var request in expired)
            {
                _requests.Remove(request.RequestId);
                Count(request, -1);
            }
        }

        foreach (var request in expired)
        {
            request.Fail(error(request));
        }
    }

    /// <summary>Fails every waiting request and refuses new ones.</summary>
    public void FailAll(Func<IPendingRequest, Exception> error)
    {
        IPendingRequest[] all;
        lock (_gate)
        {
            _closed = true;
            all = [.. _requests.Values];
            _requests.Clear();
            Volatile.Write(ref _awaited, 0);
        }

        foreach (var request in all)
        {
            request.Fail(error(request));
        }
    }

    /// <summary>Keeps <see cref="AwaitedCount"/>; called under the lock.</summary>
    private void Count(IPendingRequest request, int change)
    {
        if (request is not PendingPing)
        {
            Volatile.Write(ref _awaited, _awaited + change);
        }
    }
}
