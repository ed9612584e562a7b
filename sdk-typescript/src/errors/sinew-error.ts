// The base of every error the client raises: a stable code, whether retrying may help, and the
// underlying cause.

/** Options accepted by every Sinew error constructor. */
export interface SinewErrorOptions {
  /** The error that led to this one. */
  readonly cause?: unknown;
}

/**
 * The base class of every error raised by `@sinew/client`. Catch it to handle any client
 * failure; switch on {@link SinewError.code} for the specific case.
 */
export abstract class SinewError extends Error {
  /**
   * A stable, machine-readable code, the same in the C#, TypeScript and Python clients: the
   * broker's code name for a {@link BrokerError}, otherwise the leaf's own code such as
   * `connection_lost`.
   */
  abstract readonly code: string;

  /** Whether the same operation may succeed if tried again later, unchanged. */
  abstract readonly isRetryable: boolean;

  /**
   * @param message - what happened and what to do, written for the reader
   * @param options - the underlying cause, if any
   */
  constructor(message: string, options: SinewErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}
