// The error hierarchy: names, stable codes, retryable flags and causes of every leaf, and the
// mapping of every broker error code (and an unknown one) to a BrokerError, both directly and
// from an Error frame answering a request.

import { describe, expect, it } from "vitest";
import { BrokerError } from "../src/errors/broker-error.js";
import { ClientClosedError } from "../src/errors/client-closed-error.js";
import { ConnectionError } from "../src/errors/connection-error.js";
import { ConnectionLostError } from "../src/errors/connection-lost-error.js";
import { InvalidArgumentError } from "../src/errors/invalid-argument-error.js";
import { OperationTimeoutError } from "../src/errors/operation-timeout-error.js";
import { ProtocolError } from "../src/errors/protocol-error.js";
import { SinewError } from "../src/errors/sinew-error.js";
import { SubscriptionEndedError } from "../src/errors/subscription-ended-error.js";
import { SUBSCRIPTION_END_REASONS } from "../src/subscribe/subscription-end-reason.js";
import { ERROR_CODES } from "../src/wire/generated/errors.js";
import { answerDeclares, brokerAndClient, ENGINE_TIMEOUT_MS, rejectionOf } from "./support/harness.js";
import { errorReply } from "./support/scripted-replies.js";

const TIMEOUT_MS = 10_000;

describe("client error leaves", () => {
  it.each([
    [new ConnectionError("m"), "ConnectionError", "connection_failed", true],
    [new ConnectionLostError("m"), "ConnectionLostError", "connection_lost", true],
    [new ClientClosedError("m"), "ClientClosedError", "client_closed", false],
    [new OperationTimeoutError("m"), "OperationTimeoutError", "timeout", true],
    [new InvalidArgumentError("topic", "m", { reason: "empty" }), "InvalidArgumentError", "invalid_argument", false],
    [new ProtocolError("m"), "ProtocolError", "protocol_error", false],
  ])("%s has its name, code and retryable flag", (error, name, code, retryable) => {
    expect(error).toBeInstanceOf(SinewError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
    expect(error.isRetryable).toBe(retryable);
    expect(String(error)).toBe(`${name}: m`);
  }, TIMEOUT_MS);

  it("keeps the cause it is given", () => {
    const cause = new Error("socket hang up");
    expect(new ConnectionLostError("lost", { cause }).cause).toBe(cause);
    expect(new InvalidArgumentError("headers", "bad", { cause, reason: "reserved_prefix" })).toMatchObject({
      cause,
      argument: "headers",
      reason: "reserved_prefix",
    });
    expect("cause" in new ProtocolError("no cause")).toBe(false);
  }, TIMEOUT_MS);

  it("gives SubscriptionEndedError the end reason as its code, retryable only for transient reasons", () => {
    const retryable = SUBSCRIPTION_END_REASONS.filter((reason) => new SubscriptionEndedError(reason, "m").isRetryable);
    expect(retryable).toEqual(["server_shutdown", "reconcile_closed", "connection_lost"]);
    for (const reason of SUBSCRIPTION_END_REASONS) {
      const error = new SubscriptionEndedError(reason, "m");
      expect(error).toMatchObject({ name: "SubscriptionEndedError", code: reason, reason });
    }
  }, TIMEOUT_MS);
});

describe("BrokerError from each broker error code", () => {
  it.each(ERROR_CODES.map((entry) => [entry.name, entry.code, entry.retryable] as const))(
    "maps %s (%i) to its name, number and the frame's retryable flag",
    (name, code, retryable) => {
      const error = new BrokerError({ brokerCode: code, retryable, brokerMessage: "the broker's words" }, { operation: "publish", topic: "orders" });
      expect(error).toBeInstanceOf(SinewError);
      expect(error.name).toBe("BrokerError");
      expect(error.code).toBe(name);
      expect(error.brokerCode).toBe(code);
      expect(error.isRetryable).toBe(retryable);
      expect(error.brokerMessage).toBe("the broker's words");
      expect(error.details.size).toBe(0);
      expect(error.message).toContain("the broker's words");
      expect(error.message).toContain(`[${name}]`);
      expect(error.message.startsWith("publish failed: ")).toBe(true);
    },
    TIMEOUT_MS,
  );

  it("takes the retryable flag from the frame rather than from the table", () => {
    expect(new BrokerError({ brokerCode: 8, retryable: true, brokerMessage: "" }).isRetryable).toBe(true);
    expect(new BrokerError({ brokerCode: 13, retryable: false, brokerMessage: "" }).isRetryable).toBe(false);
  }, TIMEOUT_MS);

  it("reports a code it does not know as unknown, keeping the number", () => {
    const error = new BrokerError({ brokerCode: 4242, retryable: true, brokerMessage: "from the future" });
    expect(error.code).toBe("unknown");
    expect(error.brokerCode).toBe(4242);
    expect(error.isRetryable).toBe(true);
    expect(error.message).toContain("4242");
  }, TIMEOUT_MS);

  it("says what to do, using the details the broker sent", () => {
    const notFound = new BrokerError({ brokerCode: 8, retryable: false, brokerMessage: "" }, { operation: "publish", topic: "orders", group: "eu" });
    expect(notFound.message).toContain("the queue orders (group eu) does not exist; declare it first with declareQueue");
    const conflict = new BrokerError({
      brokerCode: 9,
      retryable: false,
      brokerMessage: "differs",
      details: new Map([["field", "partitions"], ["existing", "4"], ["requested", "8"]]),
    }, { operation: "declareQueue", topic: "orders" });
    expect(conflict.message).toContain("partitions is 4, the request asked for 8");
    expect(conflict.details.get("field")).toBe("partitions");
    const invalid = new BrokerError({ brokerCode: 7, retryable: false, brokerMessage: "", details: new Map([["field", "headers"], ["reason", "reserved_prefix"]]) });
    expect(invalid.message).toContain("in headers (reserved_prefix)");
    const unauthorized = new BrokerError({ brokerCode: 6, retryable: false, brokerMessage: "" });
    expect(unauthorized.message).toContain("SinewClientOptions.credentials");
  }, TIMEOUT_MS);
});

describe("BrokerError from an Error frame answering a request", () => {
  it("carries every code, flag and detail the broker sent, with the request's context", async () => {
    const { broker, client } = await brokerAndClient();
    answerDeclares(broker);
    const codes = [...ERROR_CODES.map((entry) => entry.code), 999];
    for (const code of codes) {
      broker.answer("DeclareQueue", () => errorReply(code, { retryable: code % 2 === 0, message: `code ${code}`, details: { field: "x" } }), 1);
      const error = await rejectionOf(client.declareQueue("orders"));
      expect(error).toBeInstanceOf(BrokerError);
      const brokerError = error as BrokerError;
      expect(brokerError.brokerCode).toBe(code);
      expect(brokerError.code).toBe(ERROR_CODES.find((entry) => entry.code === code)?.name ?? "unknown");
      expect(brokerError.isRetryable).toBe(code % 2 === 0);
      expect(brokerError.brokerMessage).toBe(`code ${code}`);
      expect(brokerError.details.get("field")).toBe("x");
      expect(brokerError.message.startsWith("declareQueue failed: ")).toBe(true);
    }
    // The connection survives errors that do not close it.
    expect((await client.declareQueue("orders")).created).toBe(true);
  }, ENGINE_TIMEOUT_MS);
});
