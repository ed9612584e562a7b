// The broker's configuration, after defaults, the TOML file, the environment and the command line
// have been applied in that order. Every setting is described once, in ConfigSchema.
namespace Sinew.Broker.Configuration;

/// <summary>Effective broker configuration.</summary>
public sealed class BrokerOptions
{
    public ListenerOptions Listener { get; } = new();

    public StorageOptions Storage { get; } = new();

    public QueueDefaultOptions Queues { get; } = new();

    public LimitOptions Limits { get; } = new();

    public ConnectionOptions Connection { get; } = new();

    public AuthOptions Auth { get; } = new();

    public RecoveryOptions Recovery { get; } = new();

    public ShutdownOptions Shutdown { get; } = new();
}

public sealed class ListenerOptions
{
    public string Protocol { get; set; } = "127.0.0.1:7420";

    public string Http { get; set; } = "127.0.0.1:7421";
}

public sealed class StorageOptions
{
    public string DataDir { get; set; } = "sinew-data";

    public long SegmentBytes { get; set; } = 64L << 20;

    public long SnapshotIntervalBytes { get; set; } = 64L << 20;

    public long DedupWindowMs { get; set; } = 5 * 60_000;

    public int DedupMaxEntries { get; set; } = 1_000_000;

    /// <summary>Fresh messages of each partition indexed in memory; a deeper backlog waits in the log.</summary>
    public int IndexWindow { get; set; } = 4096;

    /// <summary>Message bodies kept in memory across all queues; beyond it they are read back from disk.</summary>
    public long MaxResidentBytes { get; set; } = 128L << 20;

    /// <summary>Free space below which publishing is refused; 0 turns the check off.</summary>
    public long MinFreeBytes { get; set; } = 256L << 20;

    /// <summary>How often free space is measured.</summary>
    public long DiskCheckIntervalMs { get; set; } = 1000;
}

public sealed class QueueDefaultOptions
{
    public uint Partitions { get; set; } = 1;

    public uint MaxRetries { get; set; } = 5;

    public ulong LeaseMs { get; set; } = 30_000;

    /// <summary>0 means messages do not expire unless published with a TTL.</summary>
    public ulong TtlMs { get; set; }

    /// <summary>discard or global.</summary>
    public string DeadLetter { get; set; } = "global";

    public uint MaxPartitions { get; set; } = 256;
}

public sealed class LimitOptions
{
    public int MaxFrameBytes { get; set; } = 16 << 20;

    public int MaxBatchMessages { get; set; } = 1024;

    public int MaxHeaders { get; set; } = 64;

    public int MaxPrefetch { get; set; } = 65_535;

    /// <summary>Most entries in any list of one frame, other than the messages of a PublishBatch.</summary>
    public int MaxListItems { get; set; } = 16_384;

    public int MaxConnections { get; set; } = 10_000;

    public int MaxSubscriptionsPerConnection { get; set; } = 4096;

    /// <summary>Bytes of deliveries a connection may have queued but not yet written to its socket.</summary>
    public long MaxPendingDeliveryBytes { get; set; } = 16L << 20;
}

public sealed class ConnectionOptions
{
    public long HeartbeatMs { get; set; } = 10_000;

    public long HandshakeTimeoutMs { get; set; } = 10_000;

    /// <summary>How long a session whose connection broke without Goodbye stays dormant, resumable with its token;
    /// 0 ends it at once.</summary>
    public long ReconnectGraceMs { get; set; } = 5_000;
}

public sealed class AuthOptions
{
    public bool Enabled { get; set; }

    /// <summary>"name:password" entries.</summary>
    public List<string> Users { get; } = [];
}

public sealed class RecoveryOptions
{
    /// <summary>quarantine (serve the rest) or refuse (stop the broker).</summary>
    public string OnCorruption { get; set; } = "quarantine";

    /// <summary>Queues the verification at start loads at once, each on a thread of its own.</summary>
    public int Parallelism { get; set; } = 2;
}

public sealed class ShutdownOptions
{
    public long TimeoutMs { get; set; } = 10_000;
}
