// A promise handed out for an operation that acts at the call: its failure is logged when
// nothing handled it, never an unhandled rejection, and not logged when something did.

import { describe, expect, it } from "vitest";
import { reportIfUnobserved } from "../src/async/unobserved-failure.js";

const TIMEOUT_MS = 10_000;

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe("reportIfUnobserved", () => {
  it("reports a rejection nothing handled, once, without an unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on("unhandledRejection", onUnhandled);
    try {
      const reported: unknown[] = [];
      reportIfUnobserved(Promise.reject(new Error("lost")), (error) => reported.push(error));
      await nextTurn();
      await nextTurn();
      expect(reported).toHaveLength(1);
      expect(reported[0]).toMatchObject({ message: "lost" });
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  }, TIMEOUT_MS);

  it.each([
    ["await", async (promise: Promise<void>) => { await promise.catch(() => undefined); }],
    ["try/await", async (promise: Promise<void>) => { try { await promise; } catch { /* handled */ } }],
    ["Promise.allSettled", async (promise: Promise<void>) => { await Promise.allSettled([promise]); }],
    ["finally", async (promise: Promise<void>) => { await promise.finally(() => undefined).catch(() => undefined); }],
  ])("does not report a rejection handled with %s", async (_name, handle) => {
    const reported: unknown[] = [];
    let fail!: (error: Error) => void;
    const watched = reportIfUnobserved(new Promise<void>((_resolve, reject) => { fail = reject; }), (error) => reported.push(error));
    const handled = handle(watched);
    fail(new Error("seen"));
    await handled;
    await nextTurn();
    await nextTurn();
    expect(reported).toEqual([]);
  }, TIMEOUT_MS);

  it("settles with the original value and reports nothing on success", async () => {
    const reported: unknown[] = [];
    const watched = reportIfUnobserved(Promise.resolve(42), (error) => reported.push(error));
    await nextTurn();
    expect(await watched).toBe(42);
    expect(reported).toEqual([]);
  }, TIMEOUT_MS);
});
