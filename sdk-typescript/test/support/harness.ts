// Shared set-up for engine tests: a fake broker per test, clients connected to it with short
// timeouts, clean-up of both after each test, and the standing answers tests script most often.

import { afterEach } from "vitest";
import { SinewClient } from "../../src/client/sinew-client.js";
import type { SinewClientOptions } from "../../src/client/client-options.js";
import type { SinewError } from "../../src/errors/sinew-error.js";
import { FakeBroker, type FakeBrokerOptions } from "./fake-broker.js";
import { declareQueueOk, publishOk, settleOk, subscribeOk } from "./scripted-replies.js";

export { thrownBy } from "./thrown.js";

/** The per-test time limit of engine tests. */
export const ENGINE_TIMEOUT_MS = 10_000;

const brokers: FakeBroker[] = [];
const clients: SinewClient[] = [];

afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((client) => client.close()));
  await Promise.allSettled(brokers.splice(0).map((broker) => broker.stop()));
});

/** Starts a fake broker that is stopped after the test. */
export async function startBroker(options?: FakeBrokerOptions): Promise<FakeBroker> {
  const broker = await FakeBroker.start(options);
  brokers.push(broker);
  return broker;
}

/** Connects a client to `broker` with short timeouts; it is closed after the test. */
export async function connectClient(broker: FakeBroker, options: SinewClientOptions = {}): Promise<SinewClient> {
  const client = await SinewClient.connect({
    endpoints: [broker.address],
    connectTimeoutMs: 2000,
    requestTimeoutMs: 2000,
    closeTimeoutMs: 500,
    reconnect: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 50, jitter: 0 },
    ...options,
  });
  clients.push(client);
  return client;
}

/** Starts a fake broker and connects a client to it. */
export async function brokerAndClient(
  clientOptions: SinewClientOptions = {},
  brokerOptions?: FakeBrokerOptions,
): Promise<{ broker: FakeBroker; client: SinewClient }> {
  const broker = await startBroker(brokerOptions);
  const client = await connectClient(broker, clientOptions);
  return { broker, client };
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

/** Collects the errors a client reports through `onError`. */
export function errorCollector(): { errors: SinewError[]; onError: (error: SinewError) => void } {
  const errors: SinewError[] = [];
  return { errors, onError: (error) => errors.push(error) };
}

/** Answers every DeclareQueue with a created queue of the partition count it asks for (1 if none). */
export function answerDeclares(broker: FakeBroker): void {
  broker.answer("DeclareQueue", (frame) => declareQueueOk({ partitions: frame.message.partitions ?? 1 }));
}

/** Confirms every Publish and PublishBatch on the partition each message names (0 if none), at offset 0. */
export function answerPublishes(broker: FakeBroker): void {
  broker.answer("Publish", (frame) => publishOk({ partition: frame.message.message.partition ?? 0, offset: 0n }));
  broker.answer("PublishBatch", (frame) => publishOk(...frame.message.messages.map((message) => ({ partition: message.partition ?? 0, offset: 0n }))));
}

/**
 * Grants every Subscribe, numbering subscriptions 1, 2, 3... in arrival order (one without a
 * partition gets `partitions`), and answers every Unsubscribe with Ok.
 */
export function answerSubscribes(broker: FakeBroker, partitions: readonly number[] = [0]): void {
  let granted = 0n;
  broker.answer("Subscribe", (frame) => subscribeOk(++granted, frame.message.partition === undefined ? partitions : [frame.message.partition]));
  broker.answer("Unsubscribe", () => ({ op: "Ok" }));
}

/** Answers every Ack, Nack and ExtendLease with a SettleOk reporting no failure. */
export function answerSettlements(broker: FakeBroker): void {
  for (const op of ["Ack", "Nack", "ExtendLease"] as const) broker.answer(op, () => settleOk());
}
