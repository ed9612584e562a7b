// A promise that notices whether anyone looked at it, so that a failure nobody handles is
// logged rather than lost. Settlements and pipelined confirmations act at the call whether or
// not the caller awaits them; their failures (a settlement refused as stale, a publish the
// broker rejected) must not end the process as an unhandled rejection, nor vanish.

/** What is done with a failure nobody handled. */
export type UnobservedFailureReport = (error: unknown) => void;

// `then` is what `await`, `catch`, `finally`, `Promise.all` and friends all go through, so a
// promise whose `then` was never called by the time it failed has no handler.
class WatchedPromise<T> extends Promise<T> {
  observed = false;

  // Promises derived with then/catch are plain promises; only the one handed out is watched.
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  override then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    this.observed = true;
    return super.then(onFulfilled, onRejected);
  }
}

/**
 * Settles like `promise`. If it rejects and nothing has attached a handler to the returned
 * promise by the next turn of the event loop (after the microtasks of the turn it failed in),
 * `report` is called with the error once. The returned promise never causes an
 * `unhandledRejection`.
 */
export function reportIfUnobserved<T>(promise: Promise<T>, report: UnobservedFailureReport): Promise<T> {
  let settle!: { resolve: (value: T) => void; reject: (reason: unknown) => void };
  const watched = new WatchedPromise<T>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // Marks the watched promise handled without counting as an observer.
  Promise.prototype.then.call(watched, undefined, () => undefined);
  promise.then(settle.resolve, (error: unknown) => {
    settle.reject(error);
    setImmediate(() => {
      if (!watched.observed) report(error);
    });
  });
  return watched;
}
