#!/usr/bin/env node
// The conformance driver of @sinew/client: executes one step at a time, received as a JSON line
// on standard input, using only the package's public API, and answers each with one JSON line on
// standard output. Logs go to standard error. The protocol and the steps are described in
// conformance/DRIVERS.md of the Sinew repository; the broker under test is SINEW_BROKER.

import { createInterface } from "node:readline";
import {
  CLIENT_VERSION,
  DeadLetterPolicy,
  OperationTimeoutError,
  OutgoingMessage,
  SinewClient,
  SinewCredentials,
  SinewError,
} from "@sinew/client";
import { catalogueSteps } from "./catalogue-steps.mjs";

/**
 * @typedef {import("@sinew/client").Delivery} Delivery
 * @typedef {import("@sinew/client").Publisher} Publisher
 * @typedef {import("@sinew/client").PublishReceipt} PublishReceipt
 * @typedef {import("@sinew/client").Subscription} Subscription
 * @typedef {import("@sinew/client").OutgoingMessageInit} OutgoingMessageInit
 * @typedef {Record<string, unknown>} Request
 */

/** A failure of the driver itself or of its input, reported with type `Unexpected`. */
class DriverError extends Error {}

// Handles by name, one map per kind, as the scenario named them.
/** @type {Map<string, SinewClient>} */
const clients = new Map();
/** @type {Map<string, Publisher>} */
const publishers = new Map();
/** @type {Map<string, { subscription: Subscription, unsubscribed: boolean }>} */
const subscriptions = new Map();
/** @type {Map<string, Delivery>} */
const deliveries = new Map();

const utf8 = new TextDecoder("utf-8", { fatal: true });

// ---------------------------------------------------------------------------------------------
// Reading arguments
// ---------------------------------------------------------------------------------------------

/**
 * @param {Request} request
 * @param {string} name
 * @returns {unknown}
 */
function argument(request, name) {
  const value = request[name];
  return value === null ? undefined : value;
}

/**
 * @param {Request} request
 * @param {string} name
 */
function requiredString(request, name) {
  const value = argument(request, name);
  if (typeof value !== "string") throw new DriverError(`the step needs "${name}" as a string`);
  return value;
}

/**
 * @param {Request} request
 * @param {string} name
 * @returns {string | undefined}
 */
function optionalString(request, name) {
  const value = argument(request, name);
  if (value !== undefined && typeof value !== "string") throw new DriverError(`"${name}" must be a string`);
  return value;
}

/**
 * @param {Request} request
 * @param {string} name
 * @returns {number | undefined}
 */
function optionalNumber(request, name) {
  const value = argument(request, name);
  if (value !== undefined && typeof value !== "number") throw new DriverError(`"${name}" must be a number`);
  return value;
}

/**
 * @template T
 * @param {Map<string, T>} handles
 * @param {string} kind
 * @param {Request} request
 * @returns {T}
 */
function handle(handles, kind, request) {
  const name = requiredString(request, kind);
  const found = handles.get(name);
  if (found === undefined) throw new DriverError(`no ${kind} named ${JSON.stringify(name)} was created`);
  return found;
}

/** @param {Request} request */
function clientOf(request) {
  return handle(clients, "client", request);
}

/**
 * The option an optional message field maps to: nothing when the field is absent or null, a
 * driver error when it has the wrong JSON type (never silently ignored).
 *
 * @template {object} T
 * @param {Record<string, unknown>} container
 * @param {string} name
 * @param {"string" | "number" | "object"} type
 * @param {(value: any) => T} option
 * @returns {T | {}}
 */
function optionalField(container, name, type, option) {
  const value = container[name];
  if (value === undefined || value === null) return {};
  if (typeof value !== type) throw new DriverError(`message field "${name}" must be a ${type}, got ${JSON.stringify(value)}`);
  return option(value);
}

/**
 * Builds a message with the client's payload helpers.
 *
 * @param {unknown} spec
 */
function outgoingMessage(spec) {
  if (typeof spec !== "object" || spec === null) throw new DriverError("a message must be an object");
  const message = /** @type {Record<string, unknown>} */ (spec);
  const payload = /** @type {Record<string, unknown> | undefined} */ (message["payload"]);
  if (typeof payload !== "object" || payload === null) throw new DriverError("a message needs a payload object");
  /** @type {OutgoingMessageInit} */
  const init = {
    ...optionalField(payload, "content_type", "string", (contentType) => ({ contentType })),
    ...optionalField(message, "headers", "object", (headers) => ({ headers: /** @type {Record<string, string>} */ (headers) })),
    ...optionalField(message, "key", "string", (key) => ({ key })),
    ...optionalField(message, "delay_ms", "number", (delayMs) => ({ delayMs })),
    ...optionalField(message, "not_before_at_ms", "number", (at) => ({ notBefore: new Date(/** @type {number} */ (at)) })),
    ...optionalField(message, "ttl_ms", "number", (ttlMs) => ({ ttlMs })),
  };
  if ("text" in payload) return OutgoingMessage.text(/** @type {string} */ (payload["text"]), init);
  if ("json" in payload) return OutgoingMessage.json(payload["json"], init);
  if ("base64" in payload) {
    if (typeof payload["base64"] !== "string") throw new DriverError("payload.base64 must be a string");
    return OutgoingMessage.bytes(new Uint8Array(Buffer.from(payload["base64"], "base64")), init);
  }
  throw new DriverError("a payload is one of {text}, {json} or {base64}");
}

/** @param {Request} request */
function outgoingMessages(request) {
  const list = argument(request, "messages");
  if (!Array.isArray(list)) throw new DriverError('the step needs "messages" as a list');
  return list.map(outgoingMessage);
}

// ---------------------------------------------------------------------------------------------
// Writing results
// ---------------------------------------------------------------------------------------------

/** @param {PublishReceipt} receipt */
function receiptResult(receipt) {
  return { partition: receipt.partition, offset: receipt.offset.toString(), duplicate: receipt.duplicate };
}

/**
 * @param {Delivery} delivery
 * @param {number} receivedAtMs
 */
function deliveryResult(delivery, receivedAtMs) {
  let text = null;
  try {
    text = utf8.decode(delivery.payload);
  } catch {
    // Not valid UTF-8: only the base64 form is reported.
  }
  return {
    payload_base64: Buffer.from(delivery.payload).toString("base64"),
    payload_text: text,
    text: delivery.text(),
    is_settled: delivery.isSettled,
    content_type: delivery.contentType ?? null,
    headers: Object.fromEntries(delivery.headers),
    offset: delivery.offset.toString(),
    partition: delivery.partition,
    attempt: delivery.attempt,
    failures: delivery.failures,
    max_retries: delivery.maxRetries ?? null,
    is_last_attempt: delivery.isLastAttempt,
    published_at_ms: delivery.publishedAt.getTime(),
    received_at_ms: receivedAtMs,
  };
}

/**
 * The error as the runner sees it: the class name, the stable code and the retryable flag, plus
 * the machine-readable parts each kind carries.
 *
 * @param {unknown} error
 */
function errorResult(error) {
  if (error instanceof SinewError) {
    const result = { type: error.name, code: error.code, retryable: error.isRetryable, message: error.message };
    if (error.name === "BrokerError") {
      const broker = /** @type {import("@sinew/client").BrokerError} */ (error);
      return { ...result, broker_code: broker.brokerCode, details: Object.fromEntries(broker.details) };
    }
    if (error.name === "InvalidArgumentError") {
      const invalid = /** @type {import("@sinew/client").InvalidArgumentError} */ (error);
      return { ...result, argument: invalid.argument, reason: invalid.reason };
    }
    if (error.name === "SubscriptionEndedError") {
      return { ...result, reason: /** @type {import("@sinew/client").SubscriptionEndedError} */ (error).reason };
    }
    return result;
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { type: "Unexpected", code: "unexpected", retryable: false, message };
}

// ---------------------------------------------------------------------------------------------
// Steps
// ---------------------------------------------------------------------------------------------

/** Waits for one delivery, failing with OperationTimeoutError when none arrives in time. */
async function receiveOne(/** @type {Subscription} */ subscription, /** @type {number} */ timeoutMs) {
  try {
    return await subscription.receive({ signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    if (error instanceof DOMException && error.name === "TimeoutError") {
      throw new OperationTimeoutError(`no delivery arrived within ${timeoutMs} ms`);
    }
    throw error;
  }
}

async function closeEverything() {
  const open = [...clients.values()];
  clients.clear();
  publishers.clear();
  subscriptions.clear();
  deliveries.clear();
  await Promise.allSettled(open.map((client) => client.close()));
}

/** @type {Record<string, (request: Request) => Promise<unknown>>} */
const steps = {
  async describe() {
    return { client: "typescript", version: CLIENT_VERSION, steps: Object.keys(steps) };
  },

  async reset() {
    await closeEverything();
    return {};
  },

  async connect(request) {
    const name = requiredString(request, "client");
    if (clients.has(name)) throw new DriverError(`a client named ${JSON.stringify(name)} already exists`);
    const endpoint = optionalString(request, "endpoint") ?? process.env["SINEW_BROKER"];
    if (endpoint === undefined || endpoint.length === 0) throw new DriverError("no endpoint given and SINEW_BROKER is not set");
    const username = optionalString(request, "username");
    const password = optionalString(request, "password");
    const clientName = optionalString(request, "client_name");
    const connectTimeoutMs = optionalNumber(request, "connect_timeout_ms");
    const client = await SinewClient.connect({
      endpoints: [endpoint],
      ...(username === undefined && password === undefined ? {} : { credentials: SinewCredentials.plain(username ?? "", password ?? "") }),
      ...(clientName === undefined ? {} : { clientName }),
      ...(connectTimeoutMs === undefined ? {} : { connectTimeoutMs }),
      onError: (error) => process.stderr.write(`client ${name}: ${error.name}: ${error.message}\n`),
    });
    clients.set(name, client);
    return { server_id: client.serverInfo?.serverId ?? null };
  },

  async close_client(request) {
    const client = clientOf(request);
    clients.delete(requiredString(request, "client"));
    await client.close();
    return {};
  },

  async declare_queue(request) {
    const client = clientOf(request);
    const deadLetter = /** @type {Record<string, unknown> | undefined} */ (argument(request, "dead_letter"));
    let policy;
    if (deadLetter !== undefined) {
      const kind = deadLetter["kind"];
      if (kind === "discard") policy = DeadLetterPolicy.discard();
      else if (kind === "global") policy = DeadLetterPolicy.global();
      else if (kind === "queue") {
        const group = deadLetter["group"];
        policy = DeadLetterPolicy.toQueue(/** @type {string} */ (deadLetter["topic"]), typeof group === "string" ? group : undefined);
      } else throw new DriverError(`unknown dead_letter kind ${JSON.stringify(kind)}`);
    }
    const group = optionalString(request, "group");
    const partitions = optionalNumber(request, "partitions");
    const maxRetries = optionalNumber(request, "max_retries");
    const defaultTtlMs = optionalNumber(request, "default_ttl_ms");
    const leaseMs = optionalNumber(request, "lease_ms");
    const info = await client.declareQueue(requiredString(request, "topic"), {
      ...(group === undefined ? {} : { group }),
      ...(partitions === undefined ? {} : { partitions }),
      ...(policy === undefined ? {} : { deadLetter: policy }),
      ...(maxRetries === undefined ? {} : { maxRetries }),
      ...(defaultTtlMs === undefined ? {} : { defaultTtlMs }),
      ...(leaseMs === undefined ? {} : { leaseMs }),
    });
    return {
      created: info.created,
      partitions: info.partitions,
      max_retries: info.maxRetries,
      default_ttl_ms: info.defaultTtlMs ?? null,
      lease_ms: info.leaseMs,
      dead_letter: { kind: info.deadLetter.kind, topic: info.deadLetter.topic ?? null, group: info.deadLetter.group ?? null },
    };
  },

  async create_publisher(request) {
    const client = clientOf(request);
    const name = requiredString(request, "publisher");
    const group = optionalString(request, "group");
    publishers.set(name, client.createPublisher(requiredString(request, "topic"), group === undefined ? {} : { group }));
    return {};
  },

  async publish(request) {
    const publisher = handle(publishers, "publisher", request);
    const message = outgoingMessage(argument(request, "message"));
    const mode = optionalString(request, "mode") ?? "confirmed";
    switch (mode) {
      case "confirmed":
        return receiptResult(await publisher.publish(message));
      case "unconfirmed":
        await publisher.publishUnconfirmed(message);
        return {};
      case "pipelined":
        return receiptResult(await (await publisher.publishWithConfirmation(message)).receipt);
      default:
        throw new DriverError(`unknown publish mode ${JSON.stringify(mode)}`);
    }
  },

  async publish_many(request) {
    const publisher = handle(publishers, "publisher", request);
    const messages = outgoingMessages(request);
    const mode = optionalString(request, "mode") ?? "pipelined";
    if (mode === "batch") return { receipts: (await publisher.publishBatch(messages)).map(receiptResult) };
    if (mode !== "pipelined") throw new DriverError(`unknown publish_many mode ${JSON.stringify(mode)}`);
    const confirmations = [];
    for (const message of messages) confirmations.push(await publisher.publishWithConfirmation(message));
    const receipts = await Promise.all(confirmations.map((confirmation) => confirmation.receipt));
    return { receipts: receipts.map(receiptResult) };
  },

  async reliable_publish(request) {
    const client = clientOf(request);
    const group = optionalString(request, "group");
    const messages = outgoingMessages(request);
    const producerId = optionalString(request, "producer_id");
    const firstSequence = optionalNumber(request, "first_sequence");
    const reliable = client.createReliablePublisher(requiredString(request, "topic"), {
      ...(group === undefined ? {} : { group }),
      ...(producerId === undefined ? {} : { producerId }),
      ...(firstSequence === undefined ? {} : { firstSequence: BigInt(firstSequence) }),
    });
    try {
      const receipts = [];
      for (const message of messages) receipts.push(receiptResult(await reliable.publish(message)));
      return { receipts };
    } finally {
      await reliable.close();
    }
  },

  async subscribe(request) {
    const client = clientOf(request);
    const name = requiredString(request, "subscription");
    const group = optionalString(request, "group");
    const prefetch = optionalNumber(request, "prefetch");
    const ackMode = optionalString(request, "ack_mode");
    const partition = optionalNumber(request, "partition");
    const subscription = await client.subscribe(requiredString(request, "topic"), {
      ...(group === undefined ? {} : { group }),
      prefetch: prefetch ?? 100,
      ackMode: /** @type {"manual" | "auto"} */ (ackMode ?? "manual"),
      ...(partition === undefined ? {} : { partition }),
    });
    subscriptions.set(name, { subscription, unsubscribed: false });
    return {};
  },

  async receive(request) {
    const { subscription } = handle(subscriptions, "subscription", request);
    const name = requiredString(request, "delivery");
    const delivery = await receiveOne(subscription, optionalNumber(request, "timeout_ms") ?? 5000);
    const receivedAtMs = Date.now();
    if (delivery === undefined) throw new DriverError("the subscription was closed by unsubscribe");
    deliveries.set(name, delivery);
    return deliveryResult(delivery, receivedAtMs);
  },

  // One delivery taken the way an application does, with `for await`, leaving the loop with
  // `break`: the subscription stays open. A loop cannot be given a deadline, so it races a timer;
  // a timed-out step fails, and the delivery the abandoned loop may still take is not reported.
  async iterate(request) {
    const { subscription } = handle(subscriptions, "subscription", request);
    const name = requiredString(request, "delivery");
    const timeoutMs = optionalNumber(request, "timeout_ms") ?? 5000;
    const takeOne = async () => {
      let taken;
      for await (const delivery of subscription) {
        taken = delivery;
        break;
      }
      return taken;
    };
    /** @type {NodeJS.Timeout | undefined} */
    let timer;
    const expired = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new OperationTimeoutError(`no delivery arrived within ${timeoutMs} ms`)), timeoutMs);
    });
    let delivery;
    try {
      delivery = await Promise.race([takeOne(), expired]);
    } finally {
      clearTimeout(timer);
    }
    if (delivery === undefined) throw new DriverError("the subscription ended quietly");
    deliveries.set(name, delivery);
    return deliveryResult(delivery, Date.now());
  },

  async receive_none(request) {
    const { subscription } = handle(subscriptions, "subscription", request);
    const withinMs = optionalNumber(request, "within_ms") ?? 1000;
    let delivery;
    try {
      delivery = await receiveOne(subscription, withinMs);
    } catch (error) {
      if (error instanceof OperationTimeoutError) return {};
      throw error;
    }
    if (delivery === undefined) throw new DriverError("the subscription was closed by unsubscribe");
    throw new DriverError(`a delivery arrived: ${JSON.stringify(deliveryResult(delivery, Date.now()))}`);
  },

  async ack(request) {
    await handle(deliveries, "delivery", request).ack();
    return {};
  },

  async fail(request) {
    await handle(deliveries, "delivery", request).fail(optionalString(request, "reason"));
    return {};
  },

  async retry(request) {
    await handle(deliveries, "delivery", request).retry(optionalString(request, "reason"));
    return {};
  },

  async retry_after(request) {
    const delayMs = optionalNumber(request, "delay_ms");
    if (delayMs === undefined) throw new DriverError('the step needs "delay_ms"');
    await handle(deliveries, "delivery", request).retryAfter(delayMs, optionalString(request, "reason"));
    return {};
  },

  async extend_lease(request) {
    await handle(deliveries, "delivery", request).extendLease(optionalNumber(request, "by_ms"));
    return {};
  },

  async unsubscribe(request) {
    const entry = handle(subscriptions, "subscription", request);
    entry.unsubscribed = true;
    await entry.subscription.close();
    return {};
  },

  async subscription_end(request) {
    const entry = handle(subscriptions, "subscription", request);
    const timeoutMs = optionalNumber(request, "timeout_ms") ?? 5000;
    const deadline = performance.now() + timeoutMs;
    // The end reason is set when the subscription ends, whether or not deliveries are still
    // waiting to be taken; waiting for it takes none of them.
    for (;;) {
      const reason = entry.subscription.endReason;
      if (reason !== undefined) return { reason };
      if (entry.unsubscribed) throw new DriverError("the subscription was closed by unsubscribe");
      if (performance.now() >= deadline) throw new OperationTimeoutError(`the subscription did not end within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  },

  async topology(request) {
    const topology = await clientOf(request).topology();
    return {
      queues: topology.channels
        .filter((channel) => channel.kind === "queue")
        .map((channel) => ({ topic: channel.topic, group: channel.group ?? null, partitions: channel.partitions })),
    };
  },

  ...catalogueSteps(clientOf, optionalNumber),
};

// ---------------------------------------------------------------------------------------------
// The request loop
// ---------------------------------------------------------------------------------------------

/** @param {unknown} response */
function respond(response) {
  process.stdout.write(`${JSON.stringify(response)}\n`);
}

/** @param {string} line */
async function handleLine(line) {
  if (line.trim().length === 0) return;
  /** @type {Request} */
  let request;
  try {
    const parsed = JSON.parse(line);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("a request must be a JSON object");
    request = parsed;
  } catch (error) {
    process.stderr.write(`not a request: ${line}\n`);
    respond({ id: null, ok: false, error: errorResult(error) });
    return;
  }
  const id = request["id"] ?? null;
  const name = request["step"];
  const step = typeof name === "string" && Object.hasOwn(steps, name) ? steps[name] : undefined;
  if (step === undefined) {
    respond({ id, unsupported: `the TypeScript driver has no step ${JSON.stringify(name)}` });
    return;
  }
  try {
    respond({ id, ok: true, result: await step(request) });
  } catch (error) {
    if (!(error instanceof SinewError)) process.stderr.write(`step ${String(name)} (id ${String(id)}) failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    respond({ id, ok: false, error: errorResult(error) });
  }
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
let queue = Promise.resolve();
lines.on("line", (line) => {
  // One step at a time, in the order received.
  queue = queue.then(() => handleLine(line));
});
lines.on("close", () => {
  queue = queue.then(async () => {
    await closeEverything();
    // Nothing should be left running; if something is, do not hang the runner.
    setTimeout(() => process.exit(0), 2000).unref();
  });
});
