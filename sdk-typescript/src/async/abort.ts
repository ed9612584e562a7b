// AbortSignal handling shared by every operation that can wait: checking a signal up front,
// racing a promise against it, combining signals, and sleeping until a deadline or an abort.

/** Why a signal was aborted: its reason, or a standard `AbortError` when it has none. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("The operation was aborted.", "AbortError");
}

/** Throws the signal's reason when it is already aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw abortReason(signal);
}

/**
 * Settles like `promise`, or rejects with the signal's reason as soon as the signal aborts.
 * The promise keeps running; only the wait is abandoned.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    // The abandoned promise may still reject; that rejection has nobody left to hear it.
    promise.catch(() => undefined);
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Waits `ms` milliseconds, or rejects with the signal's reason if it aborts first. The timer
 * keeps the process alive: it only exists while an operation awaits it (a backoff between two
 * attempts, when no socket may be open), and closing the client or handle aborts it.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) return Promise.reject(abortReason(signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * A signal that aborts as soon as any of the given signals does, with that signal's reason;
 * `dispose` removes its listeners once it is no longer needed.
 */
export function anySignal(signals: readonly (AbortSignal | undefined)[]): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const present = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  const listeners = present.map((signal) => {
    const onAbort = (): void => controller.abort(abortReason(signal));
    return { signal, onAbort };
  });
  const dispose = (): void => {
    for (const { signal, onAbort } of listeners) signal.removeEventListener("abort", onAbort);
  };
  const aborted = present.find((signal) => signal.aborted);
  if (aborted !== undefined) {
    controller.abort(abortReason(aborted));
  } else {
    for (const { signal, onAbort } of listeners) signal.addEventListener("abort", onAbort, { once: true });
  }
  return { signal: controller.signal, dispose };
}
