// Protocol-wide size and duration limits and defaults (protocol section 7.4).

/**
 * Size and duration limits and defaults of protocol v1. Limits a broker negotiates (`HelloOk.limits`) are
 * given as their defaults.
 */
export const ProtocolLimits = Object.freeze({
  /** Largest body a receiver must accept before the handshake completes. */
  handshakeMaxFrameBytes: 65_536,
  /** Default `limits.max_frame_bytes` after the handshake (16 MiB). */
  defaultMaxFrameBytes: 16_777_216,
  /** Default `limits.max_batch_messages`. */
  defaultMaxBatchMessages: 1024,
  /** Default `limits.max_headers`. */
  defaultMaxHeaders: 64,
  /** Default `limits.max_prefetch`. */
  defaultMaxPrefetch: 65_535,
  /** Longest topic, group or cursor name, in UTF-8 bytes. */
  maxNameBytes: 200,
  /** Longest header key, in UTF-8 bytes. */
  maxHeaderKeyBytes: 128,
  /** Longest header value, in UTF-8 bytes. */
  maxHeaderValueBytes: 4096,
  /** Longest content type, in UTF-8 bytes. */
  maxContentTypeBytes: 255,
  /** Longest producer id, in UTF-8 bytes. */
  maxProducerIdBytes: 64,
  /** Longest nack reason, in UTF-8 bytes. */
  maxReasonBytes: 1024,
  /** Deepest nesting of arrays and maps in a body; the body's own array is the first level. */
  maxNestingDepth: 32,
  /** Longest TTL of a message or a queue's default, in milliseconds: 3650 days. */
  maxTtlMs: 315_360_000_000,
  /** Longest delay of a publish or a retry, and how far ahead a not-before time may be: 3650 days. */
  maxDelayMs: 315_360_000_000,
  /** Shortest lease a queue may be declared with, in milliseconds. */
  minLeaseMs: 100,
  /** Longest lease of a queue or a lease extension, in milliseconds: 12 hours. */
  maxLeaseMs: 43_200_000,
  /** Shortest heartbeat proposal a broker takes; it answers a shorter one with its own interval. */
  minHeartbeatMs: 1000,
  /** Longest heartbeat, 5 minutes: a client proposes no more, and uses no more whatever a broker announces. */
  maxHeartbeatMs: 300_000,
  /** Longest retention age of a stream, in milliseconds: 3650 days. */
  maxRetentionAgeMs: 315_360_000_000,
});
