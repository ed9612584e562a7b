// The range of every duration a client sends, the bounds of the heartbeat and overflow-proof deadlines
// (specification sections 4.4, 7.4 and 7.5).
using Sinew.Protocol.Framing;

namespace Sinew.Protocol.Timing;

/// <summary>A duration field a client sends, each with its own range.</summary>
public enum DurationField
{
    /// <summary><c>PublishMessage.ttl_ms</c>: 1 ms to <see cref="DurationLimits.MaxTtlMs"/>.</summary>
    PublishTtl,
    /// <summary><c>PublishMessage.delay_ms</c>: 0 to <see cref="DurationLimits.MaxDelayMs"/>.</summary>
    PublishDelay,
    /// <summary><c>PublishMessage.not_before_ms</c>, a time: at most <see cref="DurationLimits.MaxDelayMs"/> after now.</summary>
    PublishNotBefore,
    /// <summary><c>DeclareQueue.default_ttl_ms</c>: 1 ms to <see cref="DurationLimits.MaxTtlMs"/>.</summary>
    QueueDefaultTtl,
    /// <summary><c>DeclareQueue.lease_ms</c>: <see cref="DurationLimits.MinLeaseMs"/> to <see cref="DurationLimits.MaxLeaseMs"/>.</summary>
    QueueLease,
    /// <summary><c>NackItem.delay_ms</c>: 0 to <see cref="DurationLimits.MaxDelayMs"/>.</summary>
    NackDelay,
    /// <summary><c>NackItem.not_before_ms</c>, a time: at most <see cref="DurationLimits.MaxDelayMs"/> after now.</summary>
    NackNotBefore,
    /// <summary><c>LeaseExtension.extend_ms</c>: 1 ms to <see cref="DurationLimits.MaxLeaseMs"/>.</summary>
    LeaseExtension,
    /// <summary><c>Retention.max_age_ms</c>: 1 ms to <see cref="DurationLimits.MaxRetentionAgeMs"/>.</summary>
    RetentionMaxAge,
}

/// <summary>The duration limits of protocol v1, in milliseconds. Every one is exact in a JavaScript number and
/// leaves a signed 64-bit unix-millisecond deadline far from overflow when added to any clock reading.</summary>
public static class DurationLimits
{
    /// <summary>Longest TTL, of a message or a queue's default: 3650 days.</summary>
    public const ulong MaxTtlMs = ProtocolLimits.MaxTtlMs;

    /// <summary>Longest delay of a publish or a retry, and how far ahead a not-before time may be: 3650 days.</summary>
    public const ulong MaxDelayMs = ProtocolLimits.MaxDelayMs;

    /// <summary>Shortest lease a queue may be declared with: 100 ms.</summary>
    public const ulong MinLeaseMs = ProtocolLimits.MinLeaseMs;

    /// <summary>Longest lease, of a queue or a lease extension: 12 hours.</summary>
    public const ulong MaxLeaseMs = ProtocolLimits.MaxLeaseMs;

    /// <summary>Shortest heartbeat proposal the broker takes: 1 s. It answers a shorter one with its own interval.</summary>
    public const ulong MinHeartbeatMs = ProtocolLimits.MinHeartbeatMs;

    /// <summary>Longest heartbeat: 5 minutes. The broker answers a longer proposal with its own interval, and a
    /// client runs with at most this whatever a broker announces.</summary>
    public const ulong MaxHeartbeatMs = ProtocolLimits.MaxHeartbeatMs;

    /// <summary>Longest retention age of a stream: 3650 days.</summary>
    public const ulong MaxRetentionAgeMs = ProtocolLimits.MaxRetentionAgeMs;
}

/// <summary>Checks durations against their ranges.</summary>
public static class DurationRules
{
    /// <summary>The reason every out-of-range duration is refused with.</summary>
    public const string OutOfRange = "out_of_range";

    /// <summary>The field as the registry names it, e.g. <c>PublishMessage.ttl_ms</c>.</summary>
    public static string WireName(this DurationField field) => field switch
    {
        DurationField.PublishTtl => "PublishMessage.ttl_ms",
        DurationField.PublishDelay => "PublishMessage.delay_ms",
        DurationField.PublishNotBefore => "PublishMessage.not_before_ms",
        DurationField.QueueDefaultTtl => "DeclareQueue.default_ttl_ms",
        DurationField.QueueLease => "DeclareQueue.lease_ms",
        DurationField.NackDelay => "NackItem.delay_ms",
        DurationField.NackNotBefore => "NackItem.not_before_ms",
        DurationField.LeaseExtension => "LeaseExtension.extend_ms",
        DurationField.RetentionMaxAge => "Retention.max_age_ms",
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, null),
    };

    /// <summary>The field as a broker names it in an <c>invalid</c> error's <c>field</c> detail: its path in the
    /// request, e.g. <c>ttl_ms</c> or <c>items.extend_ms</c>.</summary>
    public static string ErrorField(this DurationField field) => field switch
    {
        DurationField.PublishTtl => "ttl_ms",
        DurationField.PublishDelay => "delay_ms",
        DurationField.PublishNotBefore => "not_before_ms",
        DurationField.QueueDefaultTtl => "default_ttl_ms",
        DurationField.QueueLease => "lease_ms",
        DurationField.NackDelay => "items.delay_ms",
        DurationField.NackNotBefore => "items.not_before_ms",
        DurationField.LeaseExtension => "items.extend_ms",
        DurationField.RetentionMaxAge => "retention.max_age_ms",
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, null),
    };

    /// <summary>Whether the field is a unix-millisecond time, whose range ends <see cref="Max"/> after now.</summary>
    public static bool IsTime(this DurationField field) => field is DurationField.PublishNotBefore or DurationField.NackNotBefore;

    /// <summary>The smallest value allowed (for a time, 0: a time in the past means at once).</summary>
    public static ulong Min(this DurationField field) => field switch
    {
        DurationField.PublishTtl or DurationField.QueueDefaultTtl or DurationField.LeaseExtension or DurationField.RetentionMaxAge => 1,
        DurationField.QueueLease => DurationLimits.MinLeaseMs,
        _ => 0,
    };

    /// <summary>The largest value allowed; for a time, how far after now it may be.</summary>
    public static ulong Max(this DurationField field) => field switch
    {
        DurationField.PublishTtl or DurationField.QueueDefaultTtl => DurationLimits.MaxTtlMs,
        DurationField.PublishDelay or DurationField.PublishNotBefore or DurationField.NackDelay or DurationField.NackNotBefore => DurationLimits.MaxDelayMs,
        DurationField.QueueLease or DurationField.LeaseExtension => DurationLimits.MaxLeaseMs,
        DurationField.RetentionMaxAge => DurationLimits.MaxRetentionAgeMs,
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, null),
    };

    /// <summary>Whether <paramref name="value"/> is in the field's range.</summary>
    /// <param name="field">The field.</param>
    /// <param name="value">The value as the wire carries it, in milliseconds.</param>
    /// <param name="nowMs">The checker's clock in unix milliseconds; only times use it.</param>
    public static bool IsValid(DurationField field, ulong value, long nowMs)
    {
        if (field.IsTime())
        {
            return value <= (ulong)Deadline(nowMs, field.Max());
        }

        return value >= field.Min() && value <= field.Max();
    }

    /// <summary><paramref name="nowMs"/> plus <paramref name="durationMs"/>, saturating at <see cref="long.MaxValue"/>:
    /// a duration too long for a signed deadline means "never" rather than wrapping into the past.</summary>
    public static long Deadline(long nowMs, ulong durationMs)
    {
        if (nowMs < 0)
        {
            nowMs = 0;
        }

        return durationMs >= (ulong)(long.MaxValue - nowMs) ? long.MaxValue : nowMs + (long)durationMs;
    }

    /// <summary>A unix-millisecond time from the wire as a signed deadline, saturating at <see cref="long.MaxValue"/>.</summary>
    public static long Time(ulong unixMs) => unixMs > long.MaxValue ? long.MaxValue : (long)unixMs;

    /// <summary>The heartbeat a broker answers a proposal with (specification section 4.4): a proposal of
    /// <see cref="DurationLimits.MinHeartbeatMs"/>..<see cref="DurationLimits.MaxHeartbeatMs"/> as it is; none, 0
    /// or any other value, the broker's own interval.</summary>
    /// <param name="proposedMs">Hello.heartbeat_ms, or null when absent.</param>
    /// <param name="brokerIntervalMs">The broker's own interval (0 for none).</param>
    public static ulong NegotiateHeartbeat(ulong? proposedMs, ulong brokerIntervalMs) =>
        proposedMs is { } proposed and >= DurationLimits.MinHeartbeatMs and <= DurationLimits.MaxHeartbeatMs ? proposed : brokerIntervalMs;

    /// <summary>The heartbeat a client runs with when a broker announces <paramref name="announcedMs"/>: at most
    /// <see cref="DurationLimits.MaxHeartbeatMs"/>.</summary>
    public static ulong AcceptHeartbeat(ulong announcedMs) => Math.Min(announcedMs, DurationLimits.MaxHeartbeatMs);
}
