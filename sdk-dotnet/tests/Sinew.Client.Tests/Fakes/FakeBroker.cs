// A small Sinew broker for tests: speaks the protocol through Sinew.Protocol over loopback, keeps queues in
// memory, and exposes hooks to withhold, delay or replace replies, push frames and drop connections.

namespace Sinew.Client.Tests.Fakes;

using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Sinew.Protocol.Errors;
using Sinew.Protocol.Framing;
using Sinew.Protocol.Messages;
using Sinew.Protocol.Routing;

internal sealed class FakeBroker : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly object _gate = new();
    private readonly Dictionary<(string, string?), FakeQueue> _queues = [];
    private readonly List<FakeSubscription> _subscriptions = [];
    private readonly Dictionary<(FakeConnection, ulong), (FakeSubscription Subscription, StoredMessage Message)> _inflight = [];
    private readonly ConcurrentQueue<ReceivedFrame> _received = new();
    private readonly List<FakeConnection> _connections = [];
    private readonly List<Task> _tasks = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Timer _pumpTimer;
    private readonly Task _acceptLoop;
    private ulong _generation = 1;
    private int _nextConnectionId;
    private event Action? FrameArrived;

    public FakeBroker()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _pumpTimer = new Timer(_ => Pump(), null, 10, 10);
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>When set, Hello must carry these credentials (identity, secret).</summary>
    public (string Identity, string Secret)? RequiredCredentials { get; set; }

    /// <summary>The protocol versions the fake speaks.</summary>
    public byte[] SupportedVersions { get; set; } = [1];

    /// <summary>The heartbeat interval answered in HelloOk.</summary>
    public ulong HeartbeatMs { get; set; }

    public Limits Limits { get; set; } = new(FrameLimits.DefaultMaxFrameBytes, 1024, 64, 65_535);

    /// <summary>When false, connections are accepted and closed at once, before any handshake.</summary>
    public bool AcceptHandshakes { get; set; } = true;

    /// <summary>Whether published messages are kept (turned off for throughput measurements).</summary>
    public bool RetainMessages { get; set; } = true;

    /// <summary>Whether received frames are recorded for <see cref="Received"/> (turned off for throughput measurements).</summary>
    public bool RecordFrames { get; set; } = true;

    /// <summary>Runs before the default handling of every frame after the handshake; returning true means the test
    /// handled it (or wants it unanswered).</summary>
    public Func<ReceivedFrame, bool>? Intercept { get; set; }

    /// <summary>Connections accepted so far, including refused handshakes.</summary>
    public int AcceptedConnections => Volatile.Read(ref _nextConnectionId);

    public IReadOnlyList<FakeConnection> Connections
    {
        get
        {
            lock (_connections)
            {
                return [.. _connections];
            }
        }
    }

    public IReadOnlyList<ReceivedFrame> Received => [.. _received];

    public IReadOnlyList<T> ReceivedOf<T>() where T : IWireMessage => [.. _received.Select(f => f.Message).OfType<T>()];

    /// <summary>Waits until a frame matching <paramref name="predicate"/> has been received (including earlier ones).</summary>
    public async Task<ReceivedFrame> WaitForFrameAsync(Func<ReceivedFrame, bool> predicate, TimeSpan? timeout = null)
    {
        var found = new TaskCompletionSource<ReceivedFrame>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check()
        {
            foreach (var frame in _received)
            {
                if (predicate(frame))
                {
                    found.TrySetResult(frame);
                    return;
                }
            }
        }

        FrameArrived += Check;
        try
        {
            Check();
            return await found.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        finally
        {
            FrameArrived -= Check;
        }
    }

    public Task<ReceivedFrame> WaitForAsync<T>(Func<T, bool>? predicate = null, TimeSpan? timeout = null) where T : IWireMessage =>
        WaitForFrameAsync(f => f.Message is T message && (predicate is null || predicate(message)), timeout);

    /// <summary>Creates a queue directly, as if another client had declared it.</summary>
    public void AddQueue(string topic, uint partitions = 1, string? group = null, uint maxRetries = 5)
    {
        lock (_gate)
        {
            _queues[(topic, group)] = new FakeQueue(new DeclareQueue(topic, group, partitions), partitions) { MaxRetries = maxRetries };
            _generation++;
        }
    }

    /// <summary>Messages stored in a queue's partition, in offset order.</summary>
    public IReadOnlyList<StoredMessage> Stored(string topic, string? group = null)
    {
        lock (_gate)
        {
            return _queues.TryGetValue((topic, group), out var queue) ? [.. queue.Partitions.SelectMany(p => p.Log)] : [];
        }
    }

    /// <summary>Deliveries sent and not settled, over every connection.</summary>
    public int InflightCount
    {
        get
        {
            lock (_gate)
            {
                return _inflight.Count;
            }
        }
    }

    public IReadOnlyList<FakeSubscription> Subscriptions
    {
        get
        {
            lock (_gate)
            {
                return [.. _subscriptions];
            }
        }
    }

    public void DropAllConnections()
    {
        foreach (var connection in Connections)
        {
            connection.Drop();
        }
    }

    /// <summary>Runs the default handling of a frame, for tests that intercepted it to answer later.</summary>
    public void Handle(ReceivedFrame frame) => HandleDefault(frame.Connection, frame.Header, frame.Message);

    /// <summary>Ends a subscription as the broker would, with SubscriptionClosed.</summary>
    public void CloseSubscription(ulong subscriptionId, CloseReason reason, string message = "closed by the test")
    {
        FakeSubscription? subscription;
        lock (_gate)
        {
            subscription = _subscriptions.FirstOrDefault(s => s.Id == subscriptionId);
            if (subscription is null)
            {
                return;
            }

            RemoveSubscription(subscription);
        }

        subscription.Connection.Send(new SubscriptionClosed(subscriptionId, reason, message));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _pumpTimer.DisposeAsync().ConfigureAwait(false);
        DropAllConnections();
        try
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }

        Task[] tasks;
        lock (_tasks)
        {
            tasks = [.. _tasks];
        }

        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }

            socket.NoDelay = true;
            var connection = new FakeConnection(Interlocked.Increment(ref _nextConnectionId), socket);
            if (!AcceptHandshakes)
            {
                connection.Drop();
                continue;
            }

            lock (_connections)
            {
                _connections.Add(connection);
            }

            var task = Task.Run(() => connection.RunAsync(OnFrameAsync, OnClosedAsync));
            lock (_tasks)
            {
                _tasks.Add(task);
            }
        }
    }

    private Task OnFrameAsync(FakeConnection connection, FrameHeader header, IWireMessage message)
    {
        var frame = new ReceivedFrame(connection, header, message);
        if (RecordFrames)
        {
            _received.Enqueue(frame);
            FrameArrived?.Invoke();
        }
        if (!connection.HandshakeDone)
        {
            Handshake(connection, header, message);
            return Task.CompletedTask;
        }

        if (Intercept?.Invoke(frame) == true)
        {
            return Task.CompletedTask;
        }

        HandleDefault(connection, header, message);
        return Task.CompletedTask;
    }

    private Task OnClosedAsync(FakeConnection connection)
    {
        lock (_gate)
        {
            foreach (var subscription in _subscriptions.Where(s => s.Connection == connection).ToList())
            {
                RemoveSubscription(subscription);
            }
        }

        Pump();
        return Task.CompletedTask;
    }

    private void Handshake(FakeConnection connection, FrameHeader header, IWireMessage message)
    {
        if (message is not Hello hello)
        {
            connection.Send(new Error((ushort)ErrorCode.ProtocolViolation, false, "the first frame must be Hello"));
            connection.CloseAfterFlush();
            return;
        }

        connection.Hello = hello;
        var version = SupportedVersions.Where(v => v >= hello.MinVersion && v <= hello.MaxVersion).DefaultIfEmpty((byte)0).Max();
        if (version == 0)
        {
            connection.Send(new Error((ushort)ErrorCode.ProtocolMismatch, false, "no protocol version in common",
                new Dictionary<string, string> { ["supported"] = string.Join(",", SupportedVersions) }), header.RequestId);
            connection.CloseAfterFlush();
            return;
        }

        if (RequiredCredentials is { } required
            && (hello.Auth is null || hello.Auth.Identity != required.Identity || hello.Auth.Secret != required.Secret))
        {
            connection.Send(new Error((ushort)ErrorCode.Unauthorized, false, "invalid credentials"), header.RequestId);
            connection.CloseAfterFlush();
            return;
        }

        connection.HandshakeDone = true;
        connection.Send(new HelloOk(version, "fake-broker", "0.0.0-test", $"session-{connection.Id}", new byte[] { 1, 2, 3 }, false, HeartbeatMs, Limits),
            header.RequestId);
    }

    private void HandleDefault(FakeConnection connection, FrameHeader header, IWireMessage message)
    {
        var id = header.RequestId;
        switch (message)
        {
            case Ping:
                connection.Send(Pong.Instance, id);
                break;
            case Pong:
                break;
            case Goodbye:
                lock (_gate)
                {
                    foreach (var subscription in _subscriptions.Where(s => s.Connection == connection).ToList())
                    {
                        RemoveSubscription(subscription);
                    }
                }

                connection.Send(Ok.Instance, id);
                connection.CloseAfterFlush();
                Pump();
                break;
            case DeclareQueue declare:
                connection.Send(Declare(declare), id);
                break;
            case TopologyRequest:
                connection.Send(CurrentTopology(), id);
                break;
            case TopologyAck:
                break;
            case Publish publish:
                Reply(connection, header, PublishMessages(publish.Topic, publish.Group, [publish.Message]));
                break;
            case PublishBatch batch:
                Reply(connection, header, PublishMessages(batch.Topic, batch.Group, batch.Messages));
                break;
            case Subscribe subscribe:
                CreateSubscription(connection, subscribe, id);
                Pump();
                break;
            case Unsubscribe unsubscribe:
                IWireMessage answer;
                lock (_gate)
                {
                    var subscription = _subscriptions.FirstOrDefault(s => s.Connection == connection && s.Id == unsubscribe.SubscriptionId);
                    if (subscription is null)
                    {
                        answer = new Error((ushort)ErrorCode.NotFound, false, $"subscription {unsubscribe.SubscriptionId} does not exist");
                    }
                    else
                    {
                        RemoveSubscription(subscription);
                        answer = Ok.Instance;
                    }
                }

                if (id != 0)
                {
                    connection.Send(answer, id);
                }

                Pump();
                break;
            case Ack ack:
                Settle(connection, id, ack.DeliveryIds.Select(d => (d, (NackItem?)null, (LeaseExtension?)null)));
                break;
            case Nack nack:
                Settle(connection, id, nack.Items.Select(i => (i.DeliveryId, (NackItem?)i, (LeaseExtension?)null)));
                break;
            case ExtendLease extend:
                Settle(connection, id, extend.Items.Select(i => (i.DeliveryId, (NackItem?)null, (LeaseExtension?)i)));
                break;
            default:
                connection.Send(new Error((ushort)ErrorCode.ProtocolViolation, false, $"{message.Opcode} is not handled by the fake"), id);
                break;
        }
    }

    private static void Reply(FakeConnection connection, FrameHeader header, IWireMessage result)
    {
        if ((header.Flags & FrameFlags.Confirm) != 0 || result is Error)
        {
            connection.Send(result, header.RequestId);
        }
    }

    private IWireMessage Declare(DeclareQueue declare)
    {
        lock (_gate)
        {
            if (_queues.TryGetValue((declare.Topic, declare.Group), out var existing))
            {
                var requested = declare.Partitions ?? 1;
                if (requested != (uint)existing.Partitions.Count)
                {
                    return new Error((ushort)ErrorCode.Conflict, false, $"queue {declare.Topic} exists with other settings",
                        new Dictionary<string, string> { ["field"] = "partitions", ["existing"] = existing.Partitions.Count.ToString(), ["requested"] = requested.ToString() });
                }

                return Describe(existing, created: false);
            }

            var queue = new FakeQueue(declare, declare.Partitions ?? 1) { MaxRetries = declare.MaxRetries ?? 5 };
            _queues[(declare.Topic, declare.Group)] = queue;
            _generation++;
            return Describe(queue, created: true);
        }
    }

    private static DeclareQueueOk Describe(FakeQueue queue, bool created) =>
        new(created, (uint)queue.Partitions.Count, queue.Declared.DeadLetter ?? new DeadLetterPolicy(DeadLetterKind.Discard), queue.MaxRetries,
            queue.Declared.DefaultTtlMs, queue.Declared.LeaseMs ?? 30_000);

    private Topology CurrentTopology()
    {
        lock (_gate)
        {
            return new Topology(_generation, [new BrokerInfo("fake-broker", [Endpoint])],
                [.. _queues.Values.Select(q => new ChannelInfo(ChannelKind.Queue, q.Topic, q.Group, (uint)q.Partitions.Count, _generation))]);
        }
    }

    private IWireMessage PublishMessages(string topic, string? group, IReadOnlyList<PublishMessage> messages)
    {
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        IWireMessage result;
        lock (_gate)
        {
            if (!_queues.TryGetValue((topic, group), out var queue))
            {
                return new Error((ushort)ErrorCode.NotFound, false, $"queue {topic} does not exist",
                    new Dictionary<string, string> { ["topic"] = topic });
            }

            var targets = new uint[messages.Count];
            for (var i = 0; i < messages.Count; i++)
            {
                var message = messages[i];
                var count = (uint)queue.Partitions.Count;
                if (message.Partition is { } chosen && chosen >= count)
                {
                    return new Error((ushort)ErrorCode.Invalid, false, $"partition {chosen} does not exist",
                        new Dictionary<string, string> { ["field"] = "partition" });
                }

                if (message.PartitionKey is { } key)
                {
                    var keyed = PartitionRouting.PartitionForKey(key.Span, count);
                    if (message.Partition is { } stated && stated != keyed)
                    {
                        return new Error((ushort)ErrorCode.Invalid, false, "the partition does not match the key",
                            new Dictionary<string, string> { ["field"] = "partition", ["reason"] = "key_mismatch" });
                    }

                    targets[i] = keyed;
                }
                else
                {
                    targets[i] = message.Partition ?? queue.RoundRobin++ % count;
                }

                if (message.Headers?.Keys.Any(k => k.StartsWith("sinew.", StringComparison.OrdinalIgnoreCase)
                                                    && !k.StartsWith("sinew.client.", StringComparison.OrdinalIgnoreCase)) == true)
                {
                    return new Error((ushort)ErrorCode.Invalid, false, "reserved header",
                        new Dictionary<string, string> { ["field"] = "headers", ["reason"] = "reserved_prefix" });
                }
            }

            var results = new List<PublishResult>(messages.Count);
            for (var i = 0; i < messages.Count; i++)
            {
                var message = messages[i];
                if (message.ProducerId is { } producer && message.Sequence is { } sequence
                    && queue.Dedup.TryGetValue((producer, sequence), out var original))
                {
                    results.Add(original with { Duplicate = true });
                    continue;
                }

                var partition = queue.Partitions[(int)targets[i]];
                var offset = partition.NextOffset++;
                var stored = new StoredMessage(queue, partition, offset, message, now);
                var notBefore = message.NotBeforeMs is { } at ? (long)at : 0;
                if (message.DelayMs is { } delay)
                {
                    notBefore = (long)now + (long)delay;
                }

                stored.NotBeforeMs = notBefore;
                if (RetainMessages)
                {
                    partition.Log.Add(stored);
                    partition.Ready.Add(stored);
                }

                var outcome = new PublishResult(partition.Number, offset, false);
                if (message.ProducerId is { } p && message.Sequence is { } s)
                {
                    queue.Dedup[(p, s)] = outcome;
                }

                results.Add(outcome);
            }

            result = new PublishOk(results);
        }

        if (RetainMessages)
        {
            Pump();
        }

        return result;
    }

    /// <summary>Answers a Subscribe. The answer is queued under the lock, so a pump cannot deliver on the new
    /// subscription before its SubscribeOk is on the way, as a broker must not.</summary>
    private void CreateSubscription(FakeConnection connection, Subscribe subscribe, uint requestId)
    {
        lock (_gate)
        {
            connection.Send(Subscribe(connection, subscribe), requestId);
        }
    }

    private IWireMessage Subscribe(FakeConnection connection, Subscribe subscribe)
    {
        if (!_queues.TryGetValue((subscribe.Topic, subscribe.Group), out var queue))
        {
            return new Error((ushort)ErrorCode.NotFound, false, $"queue {subscribe.Topic} does not exist",
                new Dictionary<string, string> { ["topic"] = subscribe.Topic });
        }

        if (subscribe.Prefetch == 0 || subscribe.Prefetch > Limits.MaxPrefetch)
        {
            return new Error((ushort)ErrorCode.Invalid, false, "prefetch out of range", new Dictionary<string, string> { ["field"] = "prefetch" });
        }

        if (subscribe.Partition is { } p && p >= queue.Partitions.Count)
        {
            return new Error((ushort)ErrorCode.NotFound, false, $"partition {p} does not exist",
                new Dictionary<string, string> { ["partition"] = p.ToString() });
        }

        IReadOnlyList<uint> partitions = subscribe.Partition is { } one ? [one] : [.. queue.Partitions.Select(x => x.Number)];
        var subscription = new FakeSubscription(connection.NextSubscriptionId(), connection, queue, partitions, subscribe.AckMode, subscribe.Prefetch);
        _subscriptions.Add(subscription);
        return new SubscribeOk(subscription.Id, partitions);
    }

    private void Settle(FakeConnection connection, uint requestId, IEnumerable<(ulong DeliveryId, NackItem? Nack, LeaseExtension? Extend)> items)
    {
        var failures = new List<SettleFailure>();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        lock (_gate)
        {
            foreach (var (deliveryId, nack, extend) in items)
            {
                if (!_inflight.TryGetValue((connection, deliveryId), out var held))
                {
                    failures.Add(new SettleFailure(deliveryId, (ushort)ErrorCode.StaleDelivery));
                    continue;
                }

                if (extend is not null)
                {
                    continue;
                }

                _inflight.Remove((connection, deliveryId));
                held.Subscription.Unsettled.Remove(deliveryId);
                var message = held.Message;
                if (nack is { Requeue: true } && message.Attempts <= message.Queue.MaxRetries)
                {
                    message.NotBeforeMs = nack.DelayMs is { } delay ? now + (long)delay : nack.NotBeforeMs is { } at ? (long)at : 0;
                    Requeue(message);
                }
                else
                {
                    // Acked, failed, or out of retries: the fake drops it rather than dead-lettering.
                    message.Done = true;
                }
            }
        }

        if (requestId != 0)
        {
            connection.Send(new SettleOk(failures), requestId);
        }

        Pump();
    }

    private static void Requeue(StoredMessage message)
    {
        var ready = message.Partition.Ready;
        var index = ready.FindIndex(m => m.Offset > message.Offset);
        ready.Insert(index < 0 ? ready.Count : index, message);
    }

    /// <summary>Returns a subscription's unsettled deliveries to their queue and forgets it. Called under the lock.</summary>
    private void RemoveSubscription(FakeSubscription subscription)
    {
        _subscriptions.Remove(subscription);
        foreach (var (deliveryId, message) in subscription.Unsettled)
        {
            _inflight.Remove((subscription.Connection, deliveryId));
            message.NotBeforeMs = 0;
            Requeue(message);
        }

        subscription.Unsettled.Clear();
    }

    /// <summary>Hands ready messages to subscriptions with room, one at a time in turn so competing consumers share.</summary>
    private void Pump()
    {
        lock (_gate)
        {
            if (_subscriptions.Count == 0)
            {
                return;
            }

            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var batches = new Dictionary<FakeSubscription, List<DeliveredMessage>>();
            bool progress;
            do
            {
                progress = false;
                foreach (var subscription in _subscriptions)
                {
                    if (subscription.Connection.IsClosed)
                    {
                        continue;
                    }

                    var batch = batches.TryGetValue(subscription, out var b) ? b : null;
                    var held = subscription.AckMode == AckMode.Manual ? subscription.Unsettled.Count : batch?.Count ?? 0;
                    if (held >= subscription.Prefetch)
                    {
                        continue;
                    }

                    foreach (var number in subscription.Partitions)
                    {
                        var partition = subscription.Queue.Partitions[(int)number];
                        var index = partition.Ready.FindIndex(m => m.NotBeforeMs <= now);
                        if (index < 0)
                        {
                            continue;
                        }

                        var message = partition.Ready[index];
                        partition.Ready.RemoveAt(index);
                        message.Attempts++;
                        var deliveryId = subscription.Connection.NextDeliveryId();
                        var delivered = new DeliveredMessage(deliveryId, partition.Number, message.Offset, message.Attempts, message.PublishedAtMs,
                            message.Message.Payload, message.Message.ContentType, message.Message.Headers);
                        if (batch is null)
                        {
                            batch = [];
                            batches[subscription] = batch;
                        }

                        batch.Add(delivered);
                        if (subscription.AckMode == AckMode.Manual)
                        {
                            subscription.Unsettled[deliveryId] = message;
                            _inflight[(subscription.Connection, deliveryId)] = (subscription, message);
                        }
                        else
                        {
                            message.Done = true;
                        }

                        progress = true;
                        break;
                    }
                }
            }
            while (progress);

            // Sent under the lock so two pumps cannot reorder a partition's deliveries.
            foreach (var (subscription, batch) in batches)
            {
                subscription.Connection.Send(new Deliver(subscription.Id, batch));
            }
        }
    }
}
