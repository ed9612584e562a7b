// A reliable publisher: stamps every message with its producer id and the next sequence
// number, and retries retryable failures until the broker confirms, within a bounded number of
// attempts. The broker's dedup window makes the retries safe.

import { randomUUID } from "node:crypto";
import { checkInteger, checkName, checkOptionsObject, checkSignal } from "../argument-checks.js";
import { anySignal, raceAbort, sleep } from "../async/abort.js";
import { asyncDispose } from "../async/dispose.js";
import type { ClientCore } from "../client/client-core.js";
import { backoffDelayMs } from "../client/reconnect-policy.js";
import { ClientClosedError } from "../errors/client-closed-error.js";
import { InvalidArgumentError } from "../errors/invalid-argument-error.js";
import { SinewError } from "../errors/sinew-error.js";
import type { OperationOptions } from "../operation-options.js";
import { InFlight } from "./in-flight.js";
import { toOutgoingMessage, type MessageInput } from "./outgoing-message.js";
import { PublishPipeline, type Idempotency } from "./publish-pipeline.js";
import type { PublishReceipt } from "./publish-receipt.js";
import type { ReliablePublisherOptions } from "./publisher-options.js";
import { checkBatch, resolvePublisherDefaults } from "./publisher.js";

const MAX_U64 = (1n << 64n) - 1n;

/** The defaults of the retry options of {@link ReliablePublisherOptions}. */
export const RELIABLE_PUBLISHER_DEFAULTS = Object.freeze({
  firstSequence: 1n,
  maxAttempts: 10,
  initialRetryDelayMs: 100,
  maxRetryDelayMs: 5000,
});

/**
 * Publishes to one queue with at-least-once delivery to the broker and no duplicates stored:
 * each message carries this publisher's producer id and its own sequence number, assigned in
 * call order, and a retryable failure (a lost connection, a timeout, a `redirect`,
 * `unavailable` or `resource_exhausted` answer) is retried with backoff until the broker
 * confirms or `maxAttempts` is reached. A message the broker already stored is confirmed with
 * `duplicate: true` and its original position.
 */
export class ReliablePublisher implements AsyncDisposable {
  /** The queue's topic. */
  readonly topic: string;
  /** The queue's group, or `undefined` for none. */
  readonly group: string | undefined;
  /** The producer id stamped on every message. */
  readonly producerId: string;
  private readonly pipeline: PublishPipeline;
  private readonly inFlight = new InFlight();
  private readonly retry: { maxAttempts: number; initialDelayMs: number; maxDelayMs: number; jitter: number };
  private sequence: bigint;
  private readonly shutdown = new AbortController();

  /** @internal Use `SinewClient.createReliablePublisher`. */
  constructor(
    private readonly core: ClientCore,
    topic: string,
    options: ReliablePublisherOptions | undefined,
  ) {
    checkOptionsObject("options", options);
    const given = options ?? {};
    const { group, defaults } = resolvePublisherDefaults(given);
    this.topic = topic;
    this.group = group;
    this.producerId = given.producerId === undefined ? randomUUID() : checkName("producerId", given.producerId, { producerId: true });
    const first = given.firstSequence ?? RELIABLE_PUBLISHER_DEFAULTS.firstSequence;
    if (typeof first !== "bigint" || first < 0n || first > MAX_U64) {
      throw new InvalidArgumentError("firstSequence", "firstSequence must be a bigint from 0n to 2^64 - 1", {
        reason: typeof first === "bigint" ? "out_of_range" : "wrong_type",
      });
    }
    this.sequence = first;
    const initialDelayMs = checkInteger("initialRetryDelayMs", given.initialRetryDelayMs ?? RELIABLE_PUBLISHER_DEFAULTS.initialRetryDelayMs, 0);
    const maxDelayMs = checkInteger("maxRetryDelayMs", given.maxRetryDelayMs ?? RELIABLE_PUBLISHER_DEFAULTS.maxRetryDelayMs, initialDelayMs);
    this.retry = {
      maxAttempts: checkInteger("maxAttempts", given.maxAttempts ?? RELIABLE_PUBLISHER_DEFAULTS.maxAttempts, 1, 1000),
      initialDelayMs,
      maxDelayMs,
      jitter: 0.2,
    };
    this.pipeline = new PublishPipeline(core, topic, group, defaults);
  }

  /** The sequence number the next message will take. */
  get nextSequence(): bigint {
    return this.sequence;
  }

  /**
   * Publishes a message, retrying retryable failures, and resolves once the broker confirms it
   * is durable.
   *
   * @throws the last error when it is not retryable or `maxAttempts` is reached
   */
  publish(message: MessageInput, options: OperationOptions = {}): Promise<PublishReceipt> {
    return this.run(options, async (signal) => {
      const outgoing = toOutgoingMessage(message);
      const idempotency = this.take(1)[0] as Idempotency;
      return this.withRetries(signal, async () => (await this.pipeline.sendConfirmed(outgoing, idempotency, signal)).receipts);
    });
  }

  /**
   * Publishes several messages in one frame, retrying the whole batch on retryable failures;
   * each message keeps its own sequence number across retries.
   *
   * @returns one receipt per message, in order
   */
  publishBatch(messages: Iterable<MessageInput>, options: OperationOptions = {}): Promise<PublishReceipt[]> {
    return this.run(options, async (signal) => {
      const checked = checkBatch(messages);
      if (checked.length === 0) return [];
      const idempotencies = this.take(checked.length);
      return this.withRetries(signal, async () => (await this.pipeline.sendBatch(checked, idempotencies, signal)).receipts);
    });
  }

  /**
   * Closes the publisher: later publishes fail with `ClientClosedError`, retries waiting for
   * their next attempt stop with `ClientClosedError` (as they do when the client closes), and
   * the promise resolves once every publish in flight has settled.
   */
  async close(options: OperationOptions = {}): Promise<void> {
    if (!this.shutdown.signal.aborted) this.shutdown.abort(new ClientClosedError(`the reliable publisher for ${this.topic} was closed`));
    await raceAbort(this.inFlight.settled(), options.signal);
  }

  /** Closes the publisher, for `await using`. */
  [asyncDispose](): Promise<void> {
    return this.close();
  }

  private take(count: number): Idempotency[] {
    const taken: Idempotency[] = [];
    for (let index = 0; index < count; index++) {
      if (this.sequence > MAX_U64) throw new InvalidArgumentError("sequence", "the producer's sequence numbers are exhausted; create a new ReliablePublisher", {
          reason: "out_of_range",
        });
      taken.push({ producerId: this.producerId, sequence: this.sequence });
      this.sequence++;
    }
    return taken;
  }

  private async withRetries<T>(signal: AbortSignal | undefined, attempt: () => Promise<T>): Promise<T> {
    for (let number = 1; ; number++) {
      try {
        return await attempt();
      } catch (error) {
        const retryable = error instanceof SinewError && error.isRetryable;
        if (!retryable || number >= this.retry.maxAttempts || this.shutdown.signal.aborted || this.core.closedSignal.aborted || signal?.aborted === true) {
          throw error;
        }
      }
      const delayMs = backoffDelayMs(this.retry, number + 1);
      const wait = anySignal([this.shutdown.signal, this.core.closedSignal, signal]);
      try {
        await sleep(delayMs, wait.signal);
      } finally {
        wait.dispose();
      }
    }
  }

  private run<T>(options: OperationOptions, operation: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
    if (this.shutdown.signal.aborted) return Promise.reject(this.shutdown.signal.reason);
    try {
      this.core.assertOpen();
      return this.inFlight.track(operation(checkSignal("signal", options.signal)));
    } catch (error) {
      return Promise.reject(error);
    }
  }
}
