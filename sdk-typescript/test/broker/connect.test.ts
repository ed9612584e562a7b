// Connecting to the real broker: the handshake and what it reports, refused connections, a
// peer that is not a Sinew broker, and close.

import { describe, expect, it } from "vitest";
import { SinewClient } from "../../src/client/sinew-client.js";
import { ConnectionError } from "../../src/errors/connection-error.js";
import { ClientClosedError } from "../../src/errors/client-closed-error.js";
import { BROKER_TEST_TIMEOUT_MS, connect, rejectionOf, uniqueTopic, useRealBroker } from "../support/real-broker.js";

const broker = useRealBroker();

describe("connecting to the real broker", () => {
  it("completes the handshake and reports the broker, the session and its limits", async () => {
    const client = await connect(broker());
    expect(client.isConnected).toBe(true);
    const info = client.serverInfo;
    expect(info).toMatchObject({
      endpoint: broker().protocolAddress,
      serverVersion: broker().version,
      protocolVersion: 1,
      heartbeatMs: 10_000,
      limits: { maxFrameBytes: 16_777_216, maxBatchMessages: 1024, maxHeaders: 64, maxPrefetch: 65_535 },
    });
    expect(info?.serverId).toMatch(/\S/);
    expect(info?.sessionId).toMatch(/\S/);
  }, BROKER_TEST_TIMEOUT_MS);

  it("gets a new session on every connection", async () => {
    const first = await connect(broker());
    const second = await connect(broker());
    expect(first.serverInfo?.sessionId).not.toBe(second.serverInfo?.sessionId);
    expect(first.serverInfo?.serverId).toBe(second.serverInfo?.serverId);
  }, BROKER_TEST_TIMEOUT_MS);

  it("uses the heartbeat interval the broker chose: the one asked for within 1 s to 5 min, else the broker's", async () => {
    const asked = await connect(broker(), { heartbeatMs: 2500 });
    expect(asked.serverInfo?.heartbeatMs).toBe(2500);
    const tooShort = await connect(broker(), { heartbeatMs: 500 });
    expect(tooShort.serverInfo?.heartbeatMs).toBe(10_000);
  }, BROKER_TEST_TIMEOUT_MS);

  it("keeps an idle connection alive with heartbeats past three intervals", async () => {
    const lost: unknown[] = [];
    const client = await connect(broker(), { heartbeatMs: 1000, onError: (error) => lost.push(error) });
    const topic = uniqueTopic("idle");
    await client.declareQueue(topic);
    // Both sides would close after 3 s of silence; pings keep the connection up.
    await new Promise((resolveLater) => setTimeout(resolveLater, 3600));
    expect(client.isConnected).toBe(true);
    const serverBefore = client.serverInfo?.sessionId;
    await client.declareQueue(topic);
    expect(client.serverInfo?.sessionId).toBe(serverBefore);
    expect(lost).toEqual([]);
  }, BROKER_TEST_TIMEOUT_MS);

  it("connects with a Unicode client name, and refuses one over 255 bytes before connecting", async () => {
    const client = await connect(broker(), { clientName: "intégration ✓" });
    expect(client.isConnected).toBe(true);
    const error = await rejectionOf(SinewClient.connect({ endpoints: [broker().protocolAddress], clientName: "é".repeat(128) }));
    expect(error).toMatchObject({ name: "InvalidArgumentError", argument: "clientName", reason: "too_long" });
  }, BROKER_TEST_TIMEOUT_MS);

  it("fails with ConnectionError when nothing listens at the endpoint", async () => {
    // Nothing listens on port 1 of the loopback interface.
    const error = await rejectionOf(SinewClient.connect({ endpoints: ["127.0.0.1:1"], connectTimeoutMs: 5000 }));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ code: "connection_failed", isRetryable: true });
  }, BROKER_TEST_TIMEOUT_MS);

  it("fails fast with ConnectionError when the endpoint is not a Sinew broker (the broker's HTTP port)", async () => {
    // The connect timeout is longer than the test's limit: only recognising the peer's answer
    // as not Sinew can end this in time.
    const error = await rejectionOf(SinewClient.connect({ endpoints: [broker().httpAddress], connectTimeoutMs: 60_000 }));
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(/not a Sinew broker|closed the connection before completing the handshake/);
  }, 10_000);

  it("tries the endpoints in order and connects to the first that answers", async () => {
    const client = await connect(broker(), { endpoints: ["127.0.0.1:1", broker().protocolAddress] });
    expect(client.serverInfo?.endpoint).toBe(broker().protocolAddress);
  }, BROKER_TEST_TIMEOUT_MS);

  it("closes cleanly: operations afterwards fail with ClientClosedError and close is idempotent", async () => {
    const client = await connect(broker());
    const topic = uniqueTopic("close");
    await client.declareQueue(topic);
    const closing = client.close();
    expect(client.close()).toBe(closing);
    await closing;
    expect(client.isConnected).toBe(false);
    expect(client.isClosed).toBe(true);
    expect(await rejectionOf(client.declareQueue(topic))).toBeInstanceOf(ClientClosedError);
  }, BROKER_TEST_TIMEOUT_MS);
});
