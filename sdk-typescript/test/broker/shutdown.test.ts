// A graceful broker stop (SIGTERM) seen from the client, against a broker whose shutdown deadline
// is long (30 s for connections): once the broker has told a client its subscriptions end, it
// closes the connection at once rather than at the deadline, so the client learns of the stop,
// and a request sent after the notice fails as a lost connection instead of waiting unanswered.

import { describe, expect, it } from "vitest";
import { ConnectionError } from "../../src/errors/connection-error.js";
import { ConnectionLostError } from "../../src/errors/connection-lost-error.js";
import { FrameFlags } from "../../src/wire/generated/flags.js";
import { RealBroker } from "../support/broker-fixture.js";
import { BROKER_TEST_TIMEOUT_MS, connect, eventually, rejectionOf } from "../support/real-broker.js";
import { RawSession } from "../support/raw-session.js";

// Connections would be held for half of this; the tests allow 2 s, a fifteenth of that.
const LONG_DEADLINE = { "shutdown.timeout_ms": 60_000 };
const PROMPTLY_MS = 2000;

async function withBroker(run: (broker: RealBroker) => Promise<void>): Promise<void> {
  const broker = await RealBroker.start({ settings: LONG_DEADLINE });
  try {
    await run(broker);
  } finally {
    await broker.kill();
    await broker.dispose();
  }
}

describe("graceful broker stop", () => {
  it("closes the client's connection as soon as it has ended the client's subscriptions", async () => {
    await withBroker(async (broker) => {
      const client = await connect(broker, { reconnect: { maxAttempts: 0 } });
      await client.declareQueue("stopping");
      const subscription = await client.subscribe("stopping");
      const ended = rejectionOf(subscription.receive());
      process.kill(broker.pid, "SIGTERM");
      expect(await ended).toMatchObject({ reason: "server_shutdown" });
      await eventually(() => (client.isConnected ? undefined : true), PROMPTLY_MS, "the broker closing the connection after SubscriptionClosed");
      // The next operation finds no broker to reconnect to (reconnecting is off here).
      expect(await rejectionOf(client.declareQueue("stopping"))).toBeInstanceOf(ConnectionError);
    });
  }, BROKER_TEST_TIMEOUT_MS);

  it("ends the connection promptly for a request sent after the shutdown notice, instead of leaving it unanswered", async () => {
    await withBroker(async (broker) => {
      const { session } = await RawSession.open(broker.protocolAddress);
      try {
        await session.request({ op: "DeclareQueue", topic: "window" });
        await session.request({ op: "Subscribe", topic: "window", ackMode: "manual", prefetch: 1 });
        process.kill(broker.pid, "SIGTERM");
        await session.waitFor((frame) => frame.message.op === "SubscriptionClosed", 5000, "SubscriptionClosed");
        const answer = session.request(
          { op: "Publish", topic: "window", message: { payload: new TextEncoder().encode("after the notice") } },
          FrameFlags.Confirm,
          PROMPTLY_MS,
        );
        // Either answered, or the connection is gone: never a silent wait until the deadline.
        const outcome = await answer.then(
          (frame) => frame.message.op,
          (error: unknown) => (error instanceof Error ? error.message : String(error)),
        );
        expect(outcome).toMatch(/^(PublishOk|Error)$|the connection closed before/);
      } finally {
        session.close();
      }
    });
  }, BROKER_TEST_TIMEOUT_MS);

  it("fails a client's publish sent after the notice with a connection error at once", async () => {
    await withBroker(async (broker) => {
      // The request timeout is longer than the test's limit: only the closed connection can end
      // the publish in time.
      const client = await connect(broker, { reconnect: { maxAttempts: 0 }, requestTimeoutMs: 60_000 });
      await client.declareQueue("late");
      const subscription = await client.subscribe("late");
      const ended = rejectionOf(subscription.receive());
      process.kill(broker.pid, "SIGTERM");
      await ended;
      const error = await rejectionOf(client.createPublisher("late").publish("after the notice"));
      // In flight when the connection closed, or sent after it closed: a connection error either way.
      expect(error instanceof ConnectionLostError || error instanceof ConnectionError, String(error)).toBe(true);
    });
  }, BROKER_TEST_TIMEOUT_MS);
});
