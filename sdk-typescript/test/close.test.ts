// Closing the client against the fake broker: every later operation fails with ClientClosedError
// without a new connection, the wait for a Goodbye the broker never answers is bounded and the
// socket closed (which only the broker's end of the connection sees), and await using closes
// subscriptions, publishers and the client. What a real broker can show runs against it
// (broker/closing.test.ts).

import { describe, expect, it } from "vitest";
import { ClientClosedError } from "../src/errors/client-closed-error.js";
import { asyncDispose } from "../src/async/dispose.js";
import { answerDeclares, answerSubscribes, brokerAndClient, ENGINE_TIMEOUT_MS, rejectionOf } from "./support/harness.js";

describe("closing the client", () => {
  it("refuses every operation afterwards with ClientClosedError, and returns the same promise when called again", async () => {
    const { broker, client } = await brokerAndClient();
    answerDeclares(broker);
    await client.declareQueue("orders");
    const publisher = client.createPublisher("orders");
    const closing = client.close();
    expect(client.close()).toBe(closing);
    await closing;
    for (const operation of [
      () => client.declareQueue("orders"),
      () => client.subscribe("orders"),
      () => client.topology(),
      () => publisher.publish("x"),
      () => publisher.publishUnconfirmed("x"),
    ]) {
      const error = await rejectionOf(operation());
      expect(error).toBeInstanceOf(ClientClosedError);
      expect(error).toMatchObject({ code: "client_closed", isRetryable: false });
    }
    expect(() => client.createPublisher("orders")).toThrow(ClientClosedError);
    expect(broker.sessions).toHaveLength(1);
  }, ENGINE_TIMEOUT_MS);

  it("waits no longer than closeTimeoutMs for a broker that never answers Goodbye", async () => {
    const { broker, client } = await brokerAndClient({ closeTimeoutMs: 100 });
    broker.answer("Goodbye", () => []);
    // closeTimeoutMs is far shorter than this bound; without it, close would wait forever.
    const hang = new Promise((_, reject) => setTimeout(() => reject(new Error("close waited past closeTimeoutMs")), 3000).unref());
    await Promise.race([client.close(), hang]);
    await broker.waitFor(() => broker.openSessions.length === 0, 2000, "the socket to be closed");
  }, ENGINE_TIMEOUT_MS);

  it("stops waiting for the broker when the close signal aborts, closing the socket at once", async () => {
    const { broker, client } = await brokerAndClient({ closeTimeoutMs: 60_000 });
    broker.answer("Goodbye", () => []);
    const controller = new AbortController();
    const closing = client.close({ signal: controller.signal });
    await broker.waitForFrame("Goodbye");
    controller.abort();
    await closing;
    await broker.waitFor(() => broker.openSessions.length === 0, 2000, "the socket to be closed");
  }, ENGINE_TIMEOUT_MS);

  it("closes through Symbol.asyncDispose, for await using", async () => {
    const { broker, client } = await brokerAndClient();
    answerDeclares(broker);
    answerSubscribes(broker);
    expect(asyncDispose).toBe(Symbol.asyncDispose);
    const subscriptionHolder = await client.declareQueue("orders").then(() => client.subscribe("orders"));
    await subscriptionHolder[asyncDispose]();
    expect(broker.framesOf("Unsubscribe")).toHaveLength(1);
    await client.createPublisher("orders")[asyncDispose]();
    await client[asyncDispose]();
    expect(client.isClosed).toBe(true);
    expect(broker.framesOf("Goodbye")).toHaveLength(1);
  }, ENGINE_TIMEOUT_MS);
});
