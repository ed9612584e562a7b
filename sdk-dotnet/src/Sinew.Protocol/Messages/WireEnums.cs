// The enums carried in bodies. Values are fixed by the protocol: append only, never reuse.
namespace Sinew.Protocol.Messages;

/// <summary>How <see cref="Auth"/> credentials are to be read.</summary>
public enum AuthMechanism : byte
{
    /// <summary>User name and password.</summary>
    Plain = 0,
    /// <summary>A bearer token in the secret; the identity is empty.</summary>
    Token = 1,
}

/// <summary>When a delivery counts as settled.</summary>
public enum AckMode : byte
{
    /// <summary>The consumer acks, nacks or lets the lease expire.</summary>
    Manual = 0,
    /// <summary>Settled once the delivery has been written to the socket.</summary>
    Auto = 1,
}

/// <summary>Where a queue's dead messages go.</summary>
public enum DeadLetterKind : byte
{
    /// <summary>Dropped.</summary>
    Discard = 0,
    /// <summary>To the broker's global dead-letter target (dropped when none is set).</summary>
    Global = 1,
    /// <summary>To a named queue.</summary>
    Queue = 2,
}

/// <summary>When a stream record is delivered and confirmed relative to fsync.</summary>
public enum StreamDurability : byte
{
    /// <summary>Confirmed without waiting for fsync.</summary>
    Ephemeral = 0,
    /// <summary>Delivered before fsync, confirmed after it.</summary>
    Speculative = 1,
    /// <summary>Delivered and confirmed after fsync.</summary>
    Durable = 2,
}

/// <summary>Where an ephemeral stream reader starts.</summary>
public enum StreamStartKind : byte
{
    /// <summary>Only records published from now on.</summary>
    Latest = 0,
    /// <summary>The earliest retained record.</summary>
    Earliest = 1,
    /// <summary>At the offset in <see cref="StreamStart.Value"/>.</summary>
    Offset = 2,
    /// <summary><see cref="StreamStart.Value"/> records before the end of each partition.</summary>
    NBack = 3,
    /// <summary>The first record published at or after the unix-ms time in <see cref="StreamStart.Value"/>.</summary>
    ByTime = 4,
}

/// <summary>Whether a channel is a work queue or a fan-out stream.</summary>
public enum ChannelKind : byte
{
    /// <summary>A work queue: each message goes to one consumer.</summary>
    Queue = 0,
    /// <summary>A stream: every reader sees every record.</summary>
    Stream = 1,
}

/// <summary>Why the broker ended a subscription.</summary>
public enum CloseReason : byte
{
    /// <summary>The broker is shutting down.</summary>
    ServerShutdown = 0,
    /// <summary>The queue or stream was deleted.</summary>
    Deleted = 1,
    /// <summary>The partition was quarantined.</summary>
    Quarantined = 2,
    /// <summary>Reconciliation after a resume could not keep it.</summary>
    ReconcileClosed = 3,
    /// <summary>Another subscription took the durable cursor name.</summary>
    CursorTakenOver = 4,
    /// <summary>An unexpected broker failure.</summary>
    Internal = 5,
}

/// <summary>How the broker treats subscriptions a resuming client lists.</summary>
public enum ReconcilePolicy : byte
{
    /// <summary>Keep what both sides have; close the rest.</summary>
    Conservative = 0,
    /// <summary>Also recreate what only the client still has.</summary>
    Restore = 1,
}

/// <summary>The broker's verdict on one listed subscription.</summary>
public enum ReconcileOutcome : byte
{
    /// <summary>Still there; deliveries continue.</summary>
    Kept = 0,
    /// <summary>Recreated under a new id.</summary>
    Restored = 1,
    /// <summary>Cannot be vouched for; the client ends it.</summary>
    Closed = 2,
}
