// The in-memory state of one unsettled message in a partition.
using Sinew.Broker.Storage;

namespace Sinew.Broker.Queues;

/// <summary>Where an unsettled message is in its life.</summary>
internal enum MessageState : byte
{
    /// <summary>Appended, not yet fsynced: not deliverable.</summary>
    Pending,
    /// <summary>Waiting for its not-before time.</summary>
    Delayed,
    /// <summary>Deliverable.</summary>
    Ready,
    /// <summary>Delivered and not yet settled.</summary>
    Inflight,
    /// <summary>Leaving through the dead-letter policy; waiting for its copy to be durable.</summary>
    DeadLettering,
}

/// <summary>One unsettled message. Owned by its partition and only touched under the partition's lock.</summary>
internal sealed class MessageEntry(long offset, long lsn, long publishedAtMs, long expiresAtMs)
{
    public long Offset { get; } = offset;

    /// <summary>Where its message record starts in the log.</summary>
    public long Lsn { get; } = lsn;

    public long PublishedAtMs { get; } = publishedAtMs;

    /// <summary>Expiry deadline (unix ms), 0 when it never expires.</summary>
    public long ExpiresAtMs { get; } = expiresAtMs;

    /// <summary>Not-before deadline (unix ms) while delayed.</summary>
    public long NotBeforeMs { get; set; }

    public MessageState State { get; set; }

    /// <summary>How many times it has been delivered; the attempt number of a delivery is this count
    /// including that delivery.</summary>
    public int DeliveryCount { get; set; }

    /// <summary>How many of its deliveries failed: retried, left to run out their lease, or returned after the
    /// application held them (specification section 8.5). The failure that takes this past the queue's max retries
    /// dead-letters it.</summary>
    public int Failures { get; set; }

    /// <summary>Payload, content type and headers; null when not resident (read back from the log on demand).
    /// Set it through the partition, which accounts for resident bytes.</summary>
    public MessageBody? Body { get; set; }

    /// <summary>Bytes counted against the broker's resident budget for <see cref="Body"/>.</summary>
    public long ResidentBytes { get; set; }

    /// <summary>Bumped each time the entry enters the ready or delayed structures, so stale copies left
    /// there by lazy removal can be recognised.</summary>
    public int Ticket { get; set; }

    /// <summary>Whether it waits in the ready queue's fresh part, filling the index window.</summary>
    public bool InFresh { get; set; }

    // While inflight:
    public long DeliveryId { get; set; }

    public ServerSubscription? Holder { get; set; }

    public long LeaseDeadlineMs { get; set; }

    /// <summary>The reason text of the latest retry that gave one, for the dead-letter copy should the retries run
    /// out. Kept in memory only: the log's return record has no room for it, so it is lost on a restart.</summary>
    public string? LastRetryReason { get; set; }

    public bool IsExpired(long nowMs) => ExpiresAtMs != 0 && nowMs >= ExpiresAtMs;
}
