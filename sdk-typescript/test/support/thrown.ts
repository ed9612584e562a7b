// Checking that a call refuses at once: settlements and other calls that act at the call throw
// before returning a promise.

/**
 * Runs a call expected to throw at once (before returning a promise), and returns what it threw.
 * A promise it returns instead is observed, so a wrong result shows as this failure only.
 */
export function thrownBy(call: () => unknown): unknown {
  let result: unknown;
  try {
    result = call();
  } catch (error) {
    return error;
  }
  if (result instanceof Promise) result.catch(() => undefined);
  throw new Error("expected the call to throw at once, but it returned");
}
