// A publisher: sends messages to one queue, confirmed, unconfirmed, pipelined or in batches,
// on whatever connection the client currently has.

import { reportIfUnobserved } from "../async/unobserved-failure.js";
import { checkDurationMs, checkGroup, checkOptionsObject, checkSignal } from "../argument-checks.js";
import { raceAbort } from "../async/abort.js";
import { asyncDispose } from "../async/dispose.js";
import type { ClientCore } from "../client/client-core.js";
import { ClientClosedError } from "../errors/client-closed-error.js";
import { InvalidArgumentError } from "../errors/invalid-argument-error.js";
import type { OperationOptions } from "../operation-options.js";
import { InFlight } from "./in-flight.js";
import { toOutgoingMessage, type MessageInput } from "./outgoing-message.js";
import { PublishPipeline, type PublishDefaults } from "./publish-pipeline.js";
import type { PublishConfirmation, PublishReceipt } from "./publish-receipt.js";
import type { PublisherOptions } from "./publisher-options.js";

/** Checks the options every publisher takes. */
export function resolvePublisherDefaults(options: PublisherOptions | undefined): { group: string | undefined; defaults: PublishDefaults } {
  checkOptionsObject("options", options);
  const given = options ?? {};
  return {
    group: checkGroup("group", given.group),
    defaults: {
      delayMs: given.delayMs === undefined ? undefined : checkDurationMs("delayMs", given.delayMs, "PublishMessage.delay_ms"),
      ttlMs: given.ttlMs === undefined ? undefined : checkDurationMs("ttlMs", given.ttlMs, "PublishMessage.ttl_ms"),
    },
  };
}

/**
 * Publishes to one queue. Create it with `client.createPublisher(topic, options)`; it keeps
 * working across reconnects. Keyed messages go to the partition their key hashes to; keyless
 * ones take the queue's partitions in turn.
 */
export class Publisher implements AsyncDisposable {
  /** The queue's topic. */
  readonly topic: string;
  /** The queue's group, or `undefined` for none. */
  readonly group: string | undefined;
  private readonly pipeline: PublishPipeline;
  private readonly inFlight = new InFlight();
  private closed = false;

  /** @internal Use `SinewClient.createPublisher`. */
  constructor(
    private readonly core: ClientCore,
    topic: string,
    options: PublisherOptions | undefined,
  ) {
    const { group, defaults } = resolvePublisherDefaults(options);
    this.topic = topic;
    this.group = group;
    this.pipeline = new PublishPipeline(core, topic, group, defaults);
  }

  /**
   * Publishes a message and resolves once the broker confirms it is durable.
   *
   * @param message - an `OutgoingMessage`, raw bytes, or text
   * @returns where the message was stored
   * @throws InvalidArgumentError, BrokerError, OperationTimeoutError, ConnectionError,
   *   ConnectionLostError, ClientClosedError
   */
  publish(message: MessageInput, options: OperationOptions = {}): Promise<PublishReceipt> {
    return this.run(async () => {
      const signal = checkSignal("signal", options.signal);
      const sent = await this.pipeline.sendConfirmed(toOutgoingMessage(message), undefined, signal);
      return sent.receipts;
    });
  }

  /**
   * Publishes a message without a confirmation; resolves once it is handed to the connection,
   * waiting while the socket's buffer is full. The broker reports a failure only through
   * `SinewClientOptions.onError`.
   */
  publishUnconfirmed(message: MessageInput, options: OperationOptions = {}): Promise<void> {
    return this.run(async () => {
      const signal = checkSignal("signal", options.signal);
      await this.pipeline.sendUnconfirmed(toOutgoingMessage(message), signal);
    });
  }

  /**
   * Publishes a message and resolves as soon as it is sent, with a confirmation whose
   * `receipt` resolves when the broker confirms it. Keeps many publishes in flight at once.
   */
  publishWithConfirmation(message: MessageInput, options: OperationOptions = {}): Promise<PublishConfirmation> {
    return this.run(async () => {
      const signal = checkSignal("signal", options.signal);
      const sent = await this.pipeline.sendConfirmed(toOutgoingMessage(message), undefined, signal);
      const confirmed = this.inFlight.track(sent.receipts);
      // Watched on the inner promise: a handler on `receipt` would count as the caller observing it.
      let completed = false;
      confirmed.then(
        () => (completed = true),
        () => (completed = true),
      );
      const receipt = reportIfUnobserved(confirmed, (error) =>
        this.core.options.logger.warn(`sinew: a publish to ${this.topic} failed and nothing awaited its receipt`, error),
      );
      return Object.freeze({
        receipt,
        get isCompleted() {
          return completed;
        },
      });
    });
  }

  /**
   * Publishes several messages in one frame, confirmed together: either all are stored or, if
   * any is invalid, none. At most `limits.maxBatchMessages` (1024 by default) per call; an empty
   * batch resolves at once without sending anything.
   *
   * @returns one receipt per message, in order
   */
  publishBatch(messages: Iterable<MessageInput>, options: OperationOptions = {}): Promise<PublishReceipt[]> {
    return this.run(async () => {
      const signal = checkSignal("signal", options.signal);
      const checked = checkBatch(messages);
      if (checked.length === 0) return [];
      const sent = await this.pipeline.sendBatch(checked, undefined, signal);
      return sent.receipts;
    });
  }

  /**
   * Closes the publisher: later publishes fail with `ClientClosedError`, and the returned
   * promise resolves once the publishes in flight have settled. The client stays open.
   */
  async close(options: OperationOptions = {}): Promise<void> {
    this.closed = true;
    await raceAbort(this.inFlight.settled(), options.signal);
  }

  /** Closes the publisher, for `await using`. */
  [asyncDispose](): Promise<void> {
    return this.close();
  }

  private run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new ClientClosedError(`the publisher for ${this.topic} was closed`));
    try {
      this.core.assertOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.inFlight.track(operation());
  }
}

/** Checks a batch argument and turns each entry into a message. */
export function checkBatch(messages: Iterable<MessageInput>): ReturnType<typeof toOutgoingMessage>[] {
  if (messages === null || typeof messages !== "object" || typeof (messages as Iterable<unknown>)[Symbol.iterator] !== "function") {
    throw new InvalidArgumentError("messages", "messages must be an array or another iterable of messages", { reason: "wrong_type" });
  }
  return [...messages].map(toOutgoingMessage);
}
