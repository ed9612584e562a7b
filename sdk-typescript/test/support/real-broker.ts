// Shared set-up for integration tests against the real broker: one broker per test file,
// clients closed after each test, unique queue names, and bounded waits for deliveries.

import { afterAll, afterEach, beforeAll } from "vitest";
import { SinewClient } from "../../src/client/sinew-client.js";
import type { SinewClientOptions } from "../../src/client/client-options.js";
import type { Delivery } from "../../src/subscribe/delivery.js";
import type { Subscription } from "../../src/subscribe/subscription.js";
import { RealBroker, type RealBrokerOptions } from "./broker-fixture.js";

/** The per-test time limit of integration tests. */
export const BROKER_TEST_TIMEOUT_MS = 20_000;

/** The time limit of starting and stopping a broker. */
export const BROKER_HOOK_TIMEOUT_MS = 40_000;

const clients = new Set<SinewClient>();

afterEach(async () => {
  const open = [...clients];
  clients.clear();
  await Promise.allSettled(open.map((client) => client.close()));
});

/**
 * Starts one broker for the test file (before its first test) and disposes of it after the
 * last one.
 *
 * @returns a getter for the running broker
 */
export function useRealBroker(options: RealBrokerOptions = {}): () => RealBroker {
  let broker: RealBroker | undefined;
  beforeAll(async () => {
    broker = await RealBroker.start(options);
  }, BROKER_HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await broker?.dispose();
  }, BROKER_HOOK_TIMEOUT_MS);
  return () => {
    if (broker === undefined) throw new Error("the broker did not start; see the failure of the beforeAll hook");
    return broker;
  };
}

let topicCounter = 0;
const runId = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;

/** A queue topic no other test uses, e.g. `it.orders.k3x9.7`. */
export function uniqueTopic(label: string): string {
  topicCounter++;
  return `it.${label}.${runId}.${topicCounter}`;
}

/** Connects a client with test-sized timeouts; it is closed after the test. */
export async function connect(broker: RealBroker | string, options: SinewClientOptions = {}): Promise<SinewClient> {
  const client = await SinewClient.connect({
    endpoints: [typeof broker === "string" ? broker : broker.protocolAddress],
    connectTimeoutMs: 5000,
    requestTimeoutMs: 10_000,
    closeTimeoutMs: 2000,
    ...options,
  });
  clients.add(client);
  return client;
}

/**
 * The next delivery, or a failure naming what was awaited when none arrives within `withinMs`.
 */
export async function receiveWithin(subscription: Subscription, withinMs = 5000, what = "a delivery"): Promise<Delivery> {
  let delivery: Delivery | undefined;
  try {
    delivery = await subscription.receive({ signal: AbortSignal.timeout(withinMs) });
  } catch (error) {
    if (error instanceof DOMException && error.name === "TimeoutError") throw new Error(`${what} did not arrive within ${withinMs} ms`);
    throw error;
  }
  if (delivery === undefined) throw new Error(`the subscription was closed while waiting for ${what}`);
  return delivery;
}

/** Receives `count` deliveries, each within `withinMs`. */
export async function receiveMany(subscription: Subscription, count: number, withinMs = 5000): Promise<Delivery[]> {
  const deliveries: Delivery[] = [];
  for (let index = 0; index < count; index++) deliveries.push(await receiveWithin(subscription, withinMs, `delivery ${index + 1} of ${count}`));
  return deliveries;
}

/**
 * Resolves when nothing is delivered for `withinMs`; fails with the delivery when one arrives.
 * The delivery, if any, stays unsettled.
 */
export async function expectNoDelivery(subscription: Subscription, withinMs: number): Promise<void> {
  let delivery: Delivery | undefined;
  try {
    delivery = await subscription.receive({ signal: AbortSignal.timeout(withinMs) });
  } catch (error) {
    if (error instanceof DOMException && error.name === "TimeoutError") return;
    throw error;
  }
  if (delivery === undefined) throw new Error("the subscription was closed while expecting no delivery");
  throw new Error(
    `expected no delivery within ${withinMs} ms, got partition ${delivery.partition} offset ${delivery.offset} attempt ${delivery.attempt}: ${delivery.text()}`,
  );
}

/** Polls `check` every 20 ms until it returns a value other than `undefined`, failing after `withinMs`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, withinMs: number, what: string): Promise<T> {
  const deadline = performance.now() + withinMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (performance.now() > deadline) {
      const because = lastError === undefined ? "" : ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`;
      throw new Error(`${what} did not happen within ${withinMs} ms${because}`);
    }
    await new Promise((resolveLater) => setTimeout(resolveLater, 20));
  }
}

/** Awaits a promise expected to reject, and returns what it rejected with. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject, but it resolved");
}

/** Milliseconds since a monotonic start point. */
export function elapsedSince(startMs: number): number {
  return performance.now() - startMs;
}
