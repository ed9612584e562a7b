// Tracking a handle's operations in flight, so closing it can wait for them to finish.

/** The operations of one handle that have started and not yet settled. */
export class InFlight {
  private readonly operations = new Set<Promise<unknown>>();

  /** Tracks an operation until it settles; returns it unchanged. */
  track<T>(operation: Promise<T>): Promise<T> {
    this.operations.add(operation);
    const forget = (): void => {
      this.operations.delete(operation);
    };
    operation.then(forget, forget);
    return operation;
  }

  /** Resolves once every operation tracked so far has settled, successfully or not. */
  async settled(): Promise<void> {
    while (this.operations.size > 0) await Promise.allSettled([...this.operations]);
  }
}
