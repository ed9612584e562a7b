// The publishing path shared by Publisher and ReliablePublisher: route each message, turn it
// into its wire record under the session's limits, and send it confirmed or unconfirmed, alone
// or in a batch, on the client's current connection.

import type { ClientCore } from "../client/client-core.js";
import type { Connection } from "../connection/connection.js";
import { BrokerError } from "../errors/broker-error.js";
import { InvalidArgumentError } from "../errors/invalid-argument-error.js";
import { ProtocolError } from "../errors/protocol-error.js";
import { choosePartition, RoundRobin } from "../routing/partition-router.js";
import type { QueueRoute } from "../routing/topology-cache.js";
import { FrameFlags } from "../wire/generated/flags.js";
import type { Limits, PublishMessage, PublishOk } from "../wire/generated/messages.js";
import type { OutgoingMessage } from "./outgoing-message.js";
import type { PublishReceipt } from "./publish-receipt.js";

/** The idempotency key a reliable publisher stamps on a message. */
export interface Idempotency {
  readonly producerId: string;
  readonly sequence: bigint;
}

/** Per-publisher defaults applied to messages that do not set their own. */
export interface PublishDefaults {
  readonly delayMs: number | undefined;
  readonly ttlMs: number | undefined;
}

/** A sent confirmed publish; its receipts arrive later. */
export interface SentPublish<T> {
  readonly receipts: Promise<T>;
}

/** Publishes to one queue on behalf of one publisher. */
export class PublishPipeline {
  private readonly roundRobin = new RoundRobin();

  constructor(
    private readonly core: ClientCore,
    readonly topic: string,
    readonly group: string | undefined,
    private readonly defaults: PublishDefaults,
  ) {}

  /** Sends one message without asking for a confirmation; resolves once it is handed to the socket. */
  async sendUnconfirmed(message: OutgoingMessage, signal: AbortSignal | undefined): Promise<void> {
    const connection = await this.core.acquire(signal);
    const route = await this.core.route(connection, this.topic, this.group, signal);
    const wire = this.toWire(message, connection.info.limits, route, undefined);
    // Waiting here, not after, keeps a fast producer from growing the socket buffer without bound.
    await connection.whenWritable(signal);
    connection.send({ op: "Publish", topic: this.topic, ...this.groupField(), message: wire, ...routingVersionOf(route) });
  }

  /**
   * Sends one message asking for a confirmation; resolves once sent, with the receipt to come.
   * When the broker answers `redirect` (the route was stale; nothing was stored), the message is
   * routed again by the refreshed catalogue and sent again, at most {@link MAX_REDIRECT_RESENDS}
   * times, before its receipt settles.
   */
  async sendConfirmed(message: OutgoingMessage, idempotency: Idempotency | undefined, signal: AbortSignal | undefined): Promise<SentPublish<PublishReceipt>> {
    const send = (): Promise<SentPublish<PublishReceipt>> => this.sendConfirmedOnce(message, idempotency, signal);
    const sent = await send();
    return { receipts: resendingRedirects(sent.receipts, send) };
  }

  private async sendConfirmedOnce(message: OutgoingMessage, idempotency: Idempotency | undefined, signal: AbortSignal | undefined): Promise<SentPublish<PublishReceipt>> {
    const connection = await this.core.acquire(signal);
    const route = await this.core.route(connection, this.topic, this.group, signal);
    const wire = this.toWire(message, connection.info.limits, route, idempotency);
    await connection.whenWritable(signal);
    const reply = connection.request(
      { op: "Publish", topic: this.topic, ...this.groupField(), message: wire, ...routingVersionOf(route) },
      { flags: FrameFlags.Confirm, signal, context: this.context("publish") },
    );
    return { receipts: this.receiptsOf(connection, reply, 1).then((receipts) => receipts[0] as PublishReceipt) };
  }

  /**
   * Sends several messages in one confirmed frame; resolves once sent, with the receipts to
   * come. A redirected batch is sent again as a whole, as {@link sendConfirmed} does.
   */
  async sendBatch(
    messages: readonly OutgoingMessage[],
    idempotencies: readonly Idempotency[] | undefined,
    signal: AbortSignal | undefined,
  ): Promise<SentPublish<PublishReceipt[]>> {
    const send = (): Promise<SentPublish<PublishReceipt[]>> => this.sendBatchOnce(messages, idempotencies, signal);
    const sent = await send();
    return { receipts: resendingRedirects(sent.receipts, send) };
  }

  private async sendBatchOnce(
    messages: readonly OutgoingMessage[],
    idempotencies: readonly Idempotency[] | undefined,
    signal: AbortSignal | undefined,
  ): Promise<SentPublish<PublishReceipt[]>> {
    const connection = await this.core.acquire(signal);
    const limits = connection.info.limits;
    if (messages.length > limits.maxBatchMessages) {
      throw new InvalidArgumentError(
        "messages",
        `a batch holds at most ${limits.maxBatchMessages} messages on this broker, got ${messages.length}; split it into several publishBatch calls`,
        { reason: "too_many" },
      );
    }
    const route = await this.core.route(connection, this.topic, this.group, signal);
    const wire = messages.map((message, index) => this.toWire(message, limits, route, idempotencies?.[index]));
    await connection.whenWritable(signal);
    const reply = connection.request(
      { op: "PublishBatch", topic: this.topic, ...this.groupField(), messages: wire, ...routingVersionOf(route) },
      { flags: FrameFlags.Confirm, signal, context: this.context("publishBatch") },
    );
    return { receipts: this.receiptsOf(connection, reply, messages.length) };
  }

  private receiptsOf(connection: Connection, reply: Promise<PublishOk>, expected: number): Promise<PublishReceipt[]> {
    return reply.then(
      (ok) => {
        if (ok.results.length !== expected) {
          throw new ProtocolError(`the broker confirmed ${ok.results.length} messages of a publish of ${expected}`);
        }
        return ok.results.map((result) =>
          Object.freeze({ partition: result.partition, offset: result.offset, duplicate: result.duplicate }),
        );
      },
      (error: unknown) => {
        // A stale route: the catalogue is refreshed at once, and routing waits for it.
        if (isRedirect(error)) this.core.onRedirect(connection);
        throw error;
      },
    );
  }

  private toWire(message: OutgoingMessage, limits: Readonly<Limits>, route: QueueRoute | undefined, idempotency: Idempotency | undefined): PublishMessage {
    if (message.headers.size > limits.maxHeaders) {
      throw new InvalidArgumentError(
        "headers",
        `a message has ${message.headers.size} headers, over the broker's limit of ${limits.maxHeaders}`,
        { reason: "too_many" },
      );
    }
    const delayMs = message.delayMs ?? (message.notBefore === undefined ? this.defaults.delayMs : undefined);
    const ttlMs = message.ttlMs ?? this.defaults.ttlMs;
    // Without routing information a keyed message leaves the choice to the broker, which hashes
    // the key itself; naming partition 0 could contradict the key on a partitioned queue.
    const partition = route === undefined && message.key !== undefined ? undefined : choosePartition(route, message.key, this.roundRobin);
    return {
      payload: message.payload,
      ...(message.contentType === undefined ? {} : { contentType: message.contentType }),
      ...(message.headers.size === 0 ? {} : { headers: new Map(message.headers) }),
      ...(message.key === undefined ? {} : { partitionKey: message.key }),
      ...(partition === undefined ? {} : { partition }),
      ...(message.notBefore === undefined ? {} : { notBeforeMs: BigInt(message.notBefore.getTime()) }),
      ...(delayMs === undefined ? {} : { delayMs: BigInt(delayMs) }),
      ...(ttlMs === undefined ? {} : { ttlMs: BigInt(ttlMs) }),
      ...(idempotency === undefined ? {} : { producerId: idempotency.producerId, sequence: idempotency.sequence }),
    };
  }

  private groupField(): { group?: string } {
    return this.group === undefined ? {} : { group: this.group };
  }

  private context(operation: string): { operation: string; topic: string; group: string | undefined } {
    return { operation, topic: this.topic, group: this.group };
  }
}

/**
 * How many times a confirmed publish is sent again after the broker answered `redirect`. The
 * broker refuses a stale route before storing anything, so sending again is safe; the bound only
 * stops a broker that keeps redirecting from holding a publish forever.
 */
export const MAX_REDIRECT_RESENDS = 3;

/** The receipts of a publish, sending it again (by `send`) each time the broker redirects it, within the bound. */
async function resendingRedirects<T>(receipts: Promise<T>, send: () => Promise<SentPublish<T>>): Promise<T> {
  for (let resends = 0; ; resends++) {
    try {
      return await receipts;
    } catch (error) {
      if (!isRedirect(error) || resends >= MAX_REDIRECT_RESENDS) throw error;
    }
    receipts = (await send()).receipts;
  }
}

function isRedirect(error: unknown): boolean {
  return error instanceof BrokerError && error.code === "redirect";
}

function routingVersionOf(route: QueueRoute | undefined): { routingVersion?: bigint } {
  return route?.routingVersion === undefined ? {} : { routingVersion: route.routingVersion };
}
