// The going-away notice of a real broker stopping gracefully (SIGTERM), as the client sees it:
// subscriptions end with server_shutdown, the notice is taken as a notice (the lost connection
// is the only error reported and nothing is logged), an operation while the broker is away fails
// typed, and once the broker is back the client reconnects to its configured endpoint, where the
// delivery it held comes again. A notice naming another endpoint is tested against the scripted
// fake (test/reconnect.test.ts): a single broker never names one.

import { describe, expect, it } from "vitest";
import { ConnectionError } from "../../src/errors/connection-error.js";
import { ConnectionLostError } from "../../src/errors/connection-lost-error.js";
import type { SinewError } from "../../src/errors/sinew-error.js";
import { SubscriptionEndedError } from "../../src/errors/subscription-ended-error.js";
import { RealBroker } from "../support/broker-fixture.js";
import { BROKER_HOOK_TIMEOUT_MS, connect, eventually, receiveWithin, rejectionOf, uniqueTopic } from "../support/real-broker.js";

describe("a broker going away", () => {
  it(
    "ends subscriptions, reports only the lost connection, and the client reconnects to its configured endpoint",
    async () => {
      // The broker holds connections for half of this at most.
      const broker = await RealBroker.start({ settings: { "shutdown.timeout_ms": 2000 } });
      try {
        const errors: SinewError[] = [];
        const warnings: string[] = [];
        const client = await connect(broker, {
          onError: (error) => errors.push(error),
          logger: { warn: (message) => warnings.push(message) },
          reconnect: { maxAttempts: 3, initialDelayMs: 20, maxDelayMs: 100 },
        });
        const topic = uniqueTopic("going-away");
        await client.declareQueue(topic);
        await client.createPublisher(topic).publish("held");
        const subscription = await client.subscribe(topic);
        expect((await receiveWithin(subscription)).text()).toBe("held");
        const firstSession = client.serverInfo?.sessionId;
        const ended = rejectionOf(subscription.receive());

        expect(await broker.stop()).toBe(0);
        const end = await ended;
        expect(end).toBeInstanceOf(SubscriptionEndedError);
        expect(end).toMatchObject({ reason: "server_shutdown", isRetryable: true });
        await eventually(() => (client.isConnected || errors.length === 0 ? undefined : true), 5000, "the client noticing the close");
        expect(errors.map((error) => error.constructor.name)).toEqual([ConnectionLostError.name]);
        expect(warnings).toEqual([]);

        // While the broker is away the next operation fails after the reconnection attempts.
        expect(await rejectionOf(client.declareQueue(topic))).toBeInstanceOf(ConnectionError);

        // Back on the same port: the configured endpoint, since the notice named no other.
        await broker.restart();
        expect((await client.declareQueue(topic)).created).toBe(false);
        expect(client.serverInfo?.endpoint).toBe(broker.protocolAddress);
        expect(client.serverInfo?.sessionId).not.toBe(firstSession);
        const again = await client.subscribe(topic);
        const redelivered = await receiveWithin(again);
        expect([redelivered.text(), redelivered.attempt]).toEqual(["held", 2]);
        await redelivered.ack();
      } finally {
        await broker.dispose();
      }
    },
    BROKER_HOOK_TIMEOUT_MS,
  );
});
