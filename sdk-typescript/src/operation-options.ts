// The options every operation that can wait accepts.

/** Options common to every operation that can wait. */
export interface OperationOptions {
  /**
   * Stops waiting: the operation rejects with the signal's reason (an `AbortError` by
   * default). A request already sent may still take effect on the broker.
   */
  readonly signal?: AbortSignal | undefined;
}
