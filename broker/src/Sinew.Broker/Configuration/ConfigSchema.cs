// The table of every configuration setting: its TOML section and key, environment variable, type,
// default and meaning. The loader, `config show --effective` and the generated reference page all read
// this table, so a setting is described in exactly one place.
using System.Globalization;
using System.Net;
using Sinew.Protocol.Timing;

namespace Sinew.Broker.Configuration;

/// <summary>One configuration setting.</summary>
/// <param name="Section">TOML table, e.g. <c>storage</c>.</param>
/// <param name="Key">Key inside the table, e.g. <c>data_dir</c>.</param>
/// <param name="Type">What values look like, for humans.</param>
/// <param name="Description">What it does.</param>
/// <param name="Show">Formats the current value.</param>
/// <param name="Apply">Parses and applies a value; throws <see cref="FormatException"/> with a guided message.</param>
/// <param name="IsList">Whether the value is a list (a TOML array; comma-separated in the environment).</param>
public sealed record ConfigSetting(
    string Section,
    string Key,
    string Type,
    string Description,
    Func<BrokerOptions, string> Show,
    Action<BrokerOptions, IReadOnlyList<string>> Apply,
    bool IsList = false)
{
    /// <summary><c>section.key</c>, as used by <c>--set</c>.</summary>
    public string Path => $"{Section}.{Key}";

    /// <summary><c>SINEW_SECTION__KEY</c>.</summary>
    public string EnvironmentVariable => $"SINEW_{Section.ToUpperInvariant()}__{Key.ToUpperInvariant()}";
}

/// <summary>All settings.</summary>
public static class ConfigSchema
{
    public static IReadOnlyList<ConfigSetting> Settings { get; } =
    [
        Address("listener", "protocol", "Address the protocol listener binds. Port 0 picks a free port.",
            o => o.Listener.Protocol, (o, v) => o.Listener.Protocol = v),
        Address("listener", "http", "Address of the HTTP endpoints (/healthz, /readyz, /metrics, /admin). Port 0 picks a free port.",
            o => o.Listener.Http, (o, v) => o.Listener.Http = v),

        Text("storage", "data_dir", "Directory for queue data. Relative paths are resolved against the working directory.",
            o => o.Storage.DataDir, (o, v) => o.Storage.DataDir = v),
        Bytes("storage", "segment_bytes", "Size at which a partition log starts a new segment file.", 1 << 20, 1L << 34,
            o => o.Storage.SegmentBytes, (o, v) => o.Storage.SegmentBytes = v),
        Bytes("storage", "snapshot_interval_bytes", "Log bytes written to a partition between two snapshots of its state; bounds replay at start.", 1 << 16, 1L << 36,
            o => o.Storage.SnapshotIntervalBytes, (o, v) => o.Storage.SnapshotIntervalBytes = v),
        Integer("storage", "index_window", "Fresh messages of each partition kept indexed in memory, at the head of its backlog. The rest of a deeper backlog waits in the log and is read back in order as consumers drain the window, so a partition's memory does not grow with its backlog. Delivered, returned and delayed messages are indexed whatever their number.", 1, 1_000_000,
            o => o.Storage.IndexWindow, (o, v) => o.Storage.IndexWindow = (int)v),
        Bytes("storage", "max_resident_bytes", "Message bodies kept in memory across all queues. Beyond it, bodies of waiting messages stay on disk and are read back when delivered, so memory stays bounded whatever the backlog.", 1 << 20, long.MaxValue,
            o => o.Storage.MaxResidentBytes, (o, v) => o.Storage.MaxResidentBytes = v),
        Bytes("storage", "min_free_bytes", "Free space on the data directory's file system below which publishing is refused with resource_exhausted (deliveries, settlements and snapshots go on, and publishing resumes by itself once space is freed); 0 turns the check off.", 0, long.MaxValue,
            o => o.Storage.MinFreeBytes, (o, v) => o.Storage.MinFreeBytes = v),
        Integer("storage", "disk_check_interval_ms", "How often free space on the data directory's file system is measured.", 10, 60_000,
            o => o.Storage.DiskCheckIntervalMs, (o, v) => o.Storage.DiskCheckIntervalMs = v),
        Integer("storage", "dedup_window_ms", "How long a publish idempotency key (producer id + sequence) is remembered; at most 3650 days, the longest a message may live.", 0, (long)DurationLimits.MaxTtlMs,
            o => o.Storage.DedupWindowMs, (o, v) => o.Storage.DedupWindowMs = v),
        Integer("storage", "dedup_max_entries", "Most idempotency keys remembered per queue; the oldest are forgotten first.", 1, int.MaxValue,
            o => o.Storage.DedupMaxEntries, (o, v) => o.Storage.DedupMaxEntries = (int)v),

        Integer("queues", "default_partitions", "Partitions of a queue declared without a partition count.", 1, 65_536,
            o => o.Queues.Partitions, (o, v) => o.Queues.Partitions = (uint)v),
        Integer("queues", "max_partitions", "Largest partition count a queue may be declared with.", 1, 65_536,
            o => o.Queues.MaxPartitions, (o, v) => o.Queues.MaxPartitions = (uint)v),
        Integer("queues", "default_max_retries", "Redeliveries allowed after the first delivery before a message is dead-lettered.", 0, uint.MaxValue - 1,
            o => o.Queues.MaxRetries, (o, v) => o.Queues.MaxRetries = (uint)v),
        Integer("queues", "default_lease_ms", "How long a delivery is held before it returns to the queue unless settled or extended: 100 ms to 12 h, the range of a declared lease.", (long)DurationLimits.MinLeaseMs, (long)DurationLimits.MaxLeaseMs,
            o => (long)o.Queues.LeaseMs, (o, v) => o.Queues.LeaseMs = (ulong)v),
        Integer("queues", "default_ttl_ms", "TTL of messages in queues declared without one, at most 3650 days; 0 means no expiry.", 0, (long)DurationLimits.MaxTtlMs,
            o => (long)o.Queues.TtlMs, (o, v) => o.Queues.TtlMs = (ulong)v),
        Choice("queues", "default_dead_letter", "Dead-letter policy of queues declared without one: discard, or global (the runtime-settable global target, the broker's own $dead-letters queue while none is set).",
            ["discard", "global"], o => o.Queues.DeadLetter, (o, v) => o.Queues.DeadLetter = v),

        Integer("limits", "max_frame_bytes", "Largest frame body accepted and announced to clients.", 1 << 16, int.MaxValue,
            o => o.Limits.MaxFrameBytes, (o, v) => o.Limits.MaxFrameBytes = (int)v),
        Integer("limits", "max_batch_messages", "Most messages in one PublishBatch.", 1, 1 << 20,
            o => o.Limits.MaxBatchMessages, (o, v) => o.Limits.MaxBatchMessages = (int)v),
        Integer("limits", "max_headers", "Most headers on one message.", 0, 4096,
            o => o.Limits.MaxHeaders, (o, v) => o.Limits.MaxHeaders = (int)v),
        Integer("limits", "max_prefetch", "Largest prefetch a subscription may ask for.", 1, int.MaxValue,
            o => o.Limits.MaxPrefetch, (o, v) => o.Limits.MaxPrefetch = (int)v),
        Integer("limits", "max_list_items", "Most entries in any list of one frame a client sends (the delivery ids of an Ack, the items of a Nack or ExtendLease), announced to clients, which split their settlements to fit; a longer list is refused with invalid and changes nothing. The messages of a PublishBatch are bounded by max_batch_messages instead. The default keeps one settlement frame to milliseconds of broker work. At least queues.max_partitions, since the broker's own partition lists are held to it.", 16, 1 << 20,
            o => o.Limits.MaxListItems, (o, v) => o.Limits.MaxListItems = (int)v),
        Integer("limits", "max_connections", "Most open protocol connections; more are refused.", 1, int.MaxValue,
            o => o.Limits.MaxConnections, (o, v) => o.Limits.MaxConnections = (int)v),
        Integer("limits", "max_subscriptions_per_connection", "Most subscriptions one connection may hold.", 1, int.MaxValue,
            o => o.Limits.MaxSubscriptionsPerConnection, (o, v) => o.Limits.MaxSubscriptionsPerConnection = (int)v),
        Bytes("limits", "max_pending_delivery_bytes", "Bytes of deliveries a connection may have waiting to be written to its socket. Past it, its subscriptions receive nothing more until the client reads what was sent, which bounds the memory a consumer that stops reading can hold (a single larger message is still sent).", 1 << 16, long.MaxValue,
            o => o.Limits.MaxPendingDeliveryBytes, (o, v) => o.Limits.MaxPendingDeliveryBytes = v),

        Integer("connection", "heartbeat_ms", "Heartbeat interval used with clients that propose none, at most 5 min (a client's proposal of 1 s..5 min is used instead); a connection silent for three intervals is closed. 0 disables heartbeats.", 0, (long)DurationLimits.MaxHeartbeatMs,
            o => o.Connection.HeartbeatMs, (o, v) => o.Connection.HeartbeatMs = v),
        Integer("connection", "handshake_timeout_ms", "Time a new connection has to complete its Hello.", 100, int.MaxValue,
            o => o.Connection.HandshakeTimeoutMs, (o, v) => o.Connection.HandshakeTimeoutMs = v),
        Integer("connection", "reconnect_grace_ms", "How long the session of a connection that broke without Goodbye stays dormant: its deliveries stay held (their leases keep running) and its subscriptions receive nothing, until a client resumes it with its token or the window passes and everything it held is returned. 0 ends such a session at once.", 0, 3_600_000,
            o => o.Connection.ReconnectGraceMs, (o, v) => o.Connection.ReconnectGraceMs = v),

        Boolean("auth", "enabled", "Require a user name and password in Hello, and on the HTTP /admin endpoints (Basic).",
            o => o.Auth.Enabled, (o, v) => o.Auth.Enabled = v),
        new("auth", "users", "list of name:password", "Users allowed to connect, and to use the HTTP /admin endpoints, when auth is enabled.",
            o => string.Join(",", o.Auth.Users.Select(u => u.Split(':', 2)[0] + ":***")),
            (o, values) =>
            {
                o.Auth.Users.Clear();
                foreach (var user in values)
                {
                    var colon = user.IndexOf(':', StringComparison.Ordinal);
                    if (colon <= 0 || colon == user.Length - 1)
                    {
                        throw new FormatException($"'{Mask(user)}' is not name:password");
                    }

                    o.Auth.Users.Add(user);
                }
            },
            IsList: true),

        Choice("recovery", "on_corruption", "What corruption found at start does (a corrupt record in the middle of a partition log, or a queue's missing or damaged queue.json): quarantine (that partition or queue errors, the rest serves) or refuse (the broker does not start, and says which file is at fault).",
            ["quarantine", "refuse"], o => o.Recovery.OnCorruption, (o, v) => o.Recovery.OnCorruption = v),
        Integer("recovery", "parallelism", "Queues verified at once at start. After the index, every queue's partitions are recovered and checked, in the background (before serving, when on_corruption is refuse); /readyz reports ready once all are, and a queue used before its turn is recovered on first use.", 1, 64,
            o => o.Recovery.Parallelism, (o, v) => o.Recovery.Parallelism = (int)v),

        Integer("shutdown", "timeout_ms", "Longest a graceful shutdown waits for connections to close and writes to flush.", 0, int.MaxValue,
            o => o.Shutdown.TimeoutMs, (o, v) => o.Shutdown.TimeoutMs = v),
    ];

    public static ConfigSetting? Find(string section, string key) =>
        Settings.FirstOrDefault(s => s.Section == section && s.Key == key);

    private static string Mask(string user) => user.Contains(':', StringComparison.Ordinal) ? user.Split(':', 2)[0] + ":***" : user;

    private static ConfigSetting Text(string section, string key, string description, Func<BrokerOptions, string> get, Action<BrokerOptions, string> set) =>
        new(section, key, "string", description, get, (o, v) =>
        {
            var value = Single(v);
            if (value.Length == 0)
            {
                throw new FormatException("an empty value is not allowed");
            }

            set(o, value);
        });

    private static ConfigSetting Address(string section, string key, string description, Func<BrokerOptions, string> get, Action<BrokerOptions, string> set) =>
        new(section, key, "host:port", description, get, (o, v) =>
        {
            var value = Single(v);
            ParseEndpoint(value);
            set(o, value);
        });

    private static ConfigSetting Integer(string section, string key, string description, long min, long max, Func<BrokerOptions, long> get, Action<BrokerOptions, long> set) =>
        new(section, key, max == long.MaxValue ? $"integer ≥ {min}" : $"integer {min}..{max.ToString(CultureInfo.InvariantCulture)}",
            description, o => get(o).ToString(CultureInfo.InvariantCulture), (o, v) => set(o, ParseInteger(Single(v), min, max)));

    private static ConfigSetting Bytes(string section, string key, string description, long min, long max, Func<BrokerOptions, long> get, Action<BrokerOptions, long> set) =>
        new(section, key, "bytes (e.g. 67108864, 64MiB)", description, o => get(o).ToString(CultureInfo.InvariantCulture), (o, v) =>
        {
            var value = ParseBytes(Single(v));
            if (value < min || value > max)
            {
                throw new FormatException($"{value} is outside {min}..{max}");
            }

            set(o, value);
        });

    private static ConfigSetting Boolean(string section, string key, string description, Func<BrokerOptions, bool> get, Action<BrokerOptions, bool> set) =>
        new(section, key, "true or false", description, o => get(o) ? "true" : "false", (o, v) =>
        {
            set(o, Single(v).ToLowerInvariant() switch
            {
                "true" => true,
                "false" => false,
                var other => throw new FormatException($"'{other}' is not true or false"),
            });
        });

    private static ConfigSetting Choice(string section, string key, string description, string[] choices, Func<BrokerOptions, string> get, Action<BrokerOptions, string> set) =>
        new(section, key, string.Join(" | ", choices), description, get, (o, v) =>
        {
            var value = Single(v);
            if (!choices.Contains(value, StringComparer.Ordinal))
            {
                throw new FormatException($"'{value}' is not one of {string.Join(", ", choices)}");
            }

            set(o, value);
        });

    private static string Single(IReadOnlyList<string> values) =>
        values.Count == 1 ? values[0] : throw new FormatException("expected a single value, not a list");

    private static long ParseInteger(string text, long min, long max)
    {
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            throw new FormatException($"'{text}' is not a whole number");
        }

        if (value < min || value > max)
        {
            throw new FormatException($"{value} is outside {min}..{max}");
        }

        return value;
    }

    internal static long ParseBytes(string text)
    {
        var units = new (string Suffix, long Factor)[] { ("GiB", 1L << 30), ("MiB", 1L << 20), ("KiB", 1L << 10), ("B", 1) };
        foreach (var (suffix, factor) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal)
                && long.TryParse(text.AsSpan(0, text.Length - suffix.Length).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var scaled))
            {
                return checked(scaled * factor);
            }
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var plain)
            ? plain
            : throw new FormatException($"'{text}' is not a byte count (a whole number, optionally with KiB, MiB or GiB)");
    }

    /// <summary>Parses <c>host:port</c> where host is an IP address or <c>localhost</c>.</summary>
    public static IPEndPoint ParseEndpoint(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0)
        {
            throw new FormatException($"'{text}' is not host:port");
        }

        var host = text[..colon].Trim('[', ']');
        if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65_535)
        {
            throw new FormatException($"'{text}' does not end in a port number 0..65535");
        }

        var address = host == "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(host, out var parsed) ? parsed
            : throw new FormatException($"'{host}' is not an IP address or localhost");
        return new IPEndPoint(address, port);
    }
}
