// How the client reconnects after the connection dropped: how many attempts, and the
// exponential backoff between them.

/**
 * How the next operation after a dropped connection reconnects. Each attempt tries every
 * endpoint in order; the first attempt starts at once, and each later one waits
 * `initialDelayMs × 2^(n−1)`, capped at `maxDelayMs`, shortened by a random share of up to
 * `jitter` so that many clients do not reconnect in step.
 */
export interface ReconnectPolicy {
  /**
   * Attempts before the operation fails with a `ConnectionError`; 0 disables reconnecting.
   * The next operation starts a fresh round of attempts.
   * @default 5
   */
  readonly maxAttempts?: number | undefined;
  /**
   * The wait before the second attempt, in milliseconds; it doubles for each later attempt.
   * @default 100
   */
  readonly initialDelayMs?: number | undefined;
  /**
   * The longest wait between two attempts, in milliseconds.
   * @default 5000
   */
  readonly maxDelayMs?: number | undefined;
  /**
   * The largest share of each wait that is randomly taken off it, from 0 (exact waits) to 1.
   * @default 0.2
   */
  readonly jitter?: number | undefined;
}

/** A reconnect policy with every value present. */
export interface ResolvedReconnectPolicy {
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly jitter: number;
}

/** The defaults of {@link ReconnectPolicy}. */
export const DEFAULT_RECONNECT_POLICY: ResolvedReconnectPolicy = Object.freeze({
  maxAttempts: 5,
  initialDelayMs: 100,
  maxDelayMs: 5000,
  jitter: 0.2,
});

/**
 * The wait before attempt `attempt` (1-based): none before the first, then exponential backoff
 * with jitter.
 *
 * @param random - a number in [0, 1), `Math.random()` by default
 */
export function backoffDelayMs(policy: ResolvedReconnectPolicy, attempt: number, random: number = Math.random()): number {
  if (attempt <= 1) return 0;
  const nominal = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 2));
  return Math.round(nominal * (1 - policy.jitter * random));
}
