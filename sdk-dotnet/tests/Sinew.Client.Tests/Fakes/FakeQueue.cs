// The fake broker's in-memory queues: partitions of stored messages, ready lists and subscriptions.

namespace Sinew.Client.Tests.Fakes;

using Sinew.Protocol.Messages;

internal sealed class FakeQueue(DeclareQueue declared, uint partitions)
{
    public string Topic { get; } = declared.Topic;

    public string? Group { get; } = declared.Group;

    public DeclareQueue Declared { get; } = declared;

    public List<FakePartition> Partitions { get; } = [.. Enumerable.Range(0, (int)partitions).Select(p => new FakePartition((uint)p))];

    public uint MaxRetries { get; init; } = 5;

    public uint RoundRobin { get; set; }

    public Dictionary<(string ProducerId, ulong Sequence), PublishResult> Dedup { get; } = [];
}

internal sealed class FakePartition(uint number)
{
    public uint Number { get; } = number;

    public List<StoredMessage> Log { get; } = [];

    public List<StoredMessage> Ready { get; } = [];

    public ulong NextOffset { get; set; }
}

internal sealed class StoredMessage(FakeQueue queue, FakePartition partition, ulong offset, PublishMessage message, ulong publishedAtMs)
{
    public FakeQueue Queue { get; } = queue;

    public FakePartition Partition { get; } = partition;

    public ulong Offset { get; } = offset;

    public PublishMessage Message { get; } = message;

    public ulong PublishedAtMs { get; } = publishedAtMs;

    public uint Attempts { get; set; }

    public long NotBeforeMs { get; set; }

    public bool Done { get; set; }
}

internal sealed class FakeSubscription(ulong id, FakeConnection connection, FakeQueue queue, IReadOnlyList<uint> partitions, AckMode ackMode, uint prefetch)
{
    public ulong Id { get; } = id;

    public FakeConnection Connection { get; } = connection;

    public FakeQueue Queue { get; } = queue;

    public IReadOnlyList<uint> Partitions { get; } = partitions;

    public AckMode AckMode { get; } = ackMode;

    public uint Prefetch { get; } = prefetch;

    public Dictionary<ulong, StoredMessage> Unsettled { get; } = [];
}
