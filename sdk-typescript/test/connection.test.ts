// The connection engine against the fake broker: the Hello it sends and the handshake answers a
// real broker does not give (another protocol version, a peer that closes at once), aborts,
// heartbeats with intervals a real broker refuses, and frames the broker should not have sent. A
// peer that never answers, a broker that falls silent or answers late, and refused credentials are
// the real broker, behind the fault proxy where it needs a fault (broker/faults.test.ts,
// broker/slow-broker.test.ts, broker/auth.test.ts).

import { createServer as createHttpServer } from "node:http";
import { createServer, type AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { SinewClient } from "../src/client/sinew-client.js";
import { SinewCredentials } from "../src/client/credentials.js";
import { BrokerError } from "../src/errors/broker-error.js";
import { ConnectionError } from "../src/errors/connection-error.js";
import { ConnectionLostError } from "../src/errors/connection-lost-error.js";
import { InvalidArgumentError } from "../src/errors/invalid-argument-error.js";
import { ProtocolError } from "../src/errors/protocol-error.js";
import { OutgoingMessage } from "../src/publish/outgoing-message.js";
import { CLIENT_VERSION } from "../src/version.js";
import { partitionForKey } from "../src/routing/fnv1a.js";
import {
  answerDeclares,
  answerPublishes,
  brokerAndClient,
  connectClient,
  ENGINE_TIMEOUT_MS,
  errorCollector,
  rejectionOf,
  startBroker,
} from "./support/harness.js";
import { errorReply, handshakeVector, topology } from "./support/scripted-replies.js";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("handshake", () => {
  it("sends Hello with request id 1, versions 1..1, the client name and version, the heartbeat and credentials", async () => {
    const broker = await startBroker();
    const client = await connectClient(broker, { clientName: "billing-service", heartbeatMs: 4000, credentials: SinewCredentials.plain("alice", "pw") });
    const [hello] = broker.framesOf("Hello");
    expect(hello?.header.requestId).toBe(1);
    expect(hello?.message).toEqual({
      op: "Hello",
      minVersion: 1,
      maxVersion: 1,
      clientName: "billing-service",
      clientVersion: CLIENT_VERSION,
      auth: { mechanism: "plain", identity: "alice", secret: "pw" },
      heartbeatMs: 4000n,
    });
    expect(client.isConnected).toBe(true);
    // The broker answered with the handshake vector's bytes; what the client reports is what the
    // vector says they mean, the heartbeat being the broker's choice.
    const answered = handshakeVector().vector.fields as Record<string, unknown>;
    const limits = answered["limits"] as Record<string, number>;
    expect(client.serverInfo).toMatchObject({
      endpoint: broker.address,
      serverId: answered["server_id"],
      serverVersion: answered["server_version"],
      sessionId: answered["session_id"],
      protocolVersion: answered["version"],
      heartbeatMs: Number(answered["heartbeat_ms"]),
      limits: {
        maxFrameBytes: limits["max_frame_bytes"],
        maxBatchMessages: limits["max_batch_messages"],
        maxHeaders: limits["max_headers"],
        maxPrefetch: limits["max_prefetch"],
      },
    });
  }, ENGINE_TIMEOUT_MS);

  it("fails with BrokerError protocol_mismatch when the broker speaks no version in common", async () => {
    const broker = await startBroker();
    // A broker speaking only versions 2 and 3, which no real broker does yet.
    broker.answer("Hello", () => errorReply("protocol_mismatch", { message: "no protocol version in common", details: { supported: "2,3" } }));
    const error = await rejectionOf(SinewClient.connect({ endpoints: [broker.address] }));
    expect(error).toBeInstanceOf(BrokerError);
    expect((error as BrokerError).code).toBe("protocol_mismatch");
    expect((error as BrokerError).details.get("supported")).toBe("2,3");
    expect((error as BrokerError).message).toContain("it speaks 2,3");
  }, ENGINE_TIMEOUT_MS);

  it("fails fast with ConnectionError when the endpoint is an HTTP server, not a Sinew broker", async () => {
    const server = createHttpServer((_request, response) => response.end("hello"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      // A connect timeout longer than the test's own limit: only a fast failure passes.
      const error = await rejectionOf(SinewClient.connect({ endpoints: [`127.0.0.1:${port}`], connectTimeoutMs: 60_000 }));
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as ConnectionError).message).toContain("is not a Sinew broker");
      expect((error as ConnectionError).message).toContain("HTTP/1.1 400");
      expect((error as ConnectionError).isRetryable).toBe(true);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, ENGINE_TIMEOUT_MS);

  it("fails with ConnectionError listing every endpoint when none accepts", async () => {
    const [first, second] = [await freePort(), await freePort()];
    const error = await rejectionOf(SinewClient.connect({ endpoints: [`127.0.0.1:${first}`, `127.0.0.1:${second}`] }));
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toContain(`127.0.0.1:${first}`);
    expect((error as Error).message).toContain(`127.0.0.1:${second}`);
  }, ENGINE_TIMEOUT_MS);

  it("fails with ConnectionError when the peer closes before answering Hello", async () => {
    const broker = await startBroker();
    broker.refuseConnections = true;
    const error = await rejectionOf(SinewClient.connect({ endpoints: [broker.address] }));
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toContain("closed the connection before completing the handshake");
  }, ENGINE_TIMEOUT_MS);

});

describe("requests", () => {
  it("stop waiting with the signal's reason when it aborts, and send nothing when it already has", async () => {
    // The broker leaves the DeclareQueue unanswered.
    const { broker, client } = await brokerAndClient();
    const controller = new AbortController();
    const pending = client.declareQueue("orders", { signal: controller.signal });
    await broker.waitForFrame("DeclareQueue");
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    const reason = new Error("caller gave up");
    await expect(client.declareQueue("billing", { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(broker.framesOf("DeclareQueue")).toHaveLength(1);
  }, ENGINE_TIMEOUT_MS);

  it("reject a frame over the broker's size limit before sending it", async () => {
    const { broker, client } = await brokerAndClient({}, { helloOk: { limits: { maxFrameBytes: 1024 } } });
    answerDeclares(broker);
    answerPublishes(broker);
    await client.declareQueue("orders");
    const publisher = client.createPublisher("orders");
    const error = await rejectionOf(publisher.publish(new Uint8Array(2000)));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).reason).toBe("frame_too_large");
    expect(broker.framesOf("Publish")).toHaveLength(0);
    expect(await publisher.publish(new Uint8Array(100))).toMatchObject({ partition: 0, offset: 0n });
  }, ENGINE_TIMEOUT_MS);

  it("fail with ProtocolError when the broker answers with the wrong kind of reply", async () => {
    const { broker, client } = await brokerAndClient();
    broker.answer("DeclareQueue", () => ({ op: "Ok" }), 1);
    const error = await rejectionOf(client.declareQueue("orders"));
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as Error).message).toContain("answered DeclareQueue with Ok");
  }, ENGINE_TIMEOUT_MS);
});

describe("heartbeats", () => {
  it("answers the broker's Ping with a Pong carrying the same request id", async () => {
    const { broker } = await brokerAndClient();
    const session = broker.openSessions[0];
    session?.send({ op: "Ping" }, 77);
    session?.send({ op: "Ping" }, 0xffff_ffff);
    await broker.waitFor(() => broker.framesOf("Pong").length === 2, 2000, "two Pongs");
    expect(broker.framesOf("Pong").map((frame) => frame.header.requestId)).toEqual([77, 0xffff_ffff]);
  }, ENGINE_TIMEOUT_MS);

  it("sends a Ping after an interval without sending anything", async () => {
    const { broker } = await brokerAndClient({ heartbeatMs: 40 }, { helloOk: { heartbeatMs: 40n } });
    const ping = await broker.waitForFrame("Ping", () => true, 2000);
    expect(ping.header.requestId).toBeGreaterThan(1);
  }, ENGINE_TIMEOUT_MS);

  it("sends no Ping when the broker disables heartbeats", async () => {
    const { broker, client } = await brokerAndClient({ heartbeatMs: 30 }, { helloOk: { heartbeatMs: 0n } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(broker.framesOf("Ping")).toHaveLength(0);
    expect(client.serverInfo?.heartbeatMs).toBe(0);
  }, ENGINE_TIMEOUT_MS);

  it("runs with a 5-minute heartbeat when the broker announces a longer one", async () => {
    for (const announced of [300_001n, 2n ** 63n]) {
      const { client } = await brokerAndClient({}, { helloOk: { heartbeatMs: announced } });
      expect(client.serverInfo?.heartbeatMs).toBe(300_000);
      await client.close();
    }
  }, ENGINE_TIMEOUT_MS);

});

describe("frames from the broker", () => {
  it("skips a frame with an unknown opcode and reads on", async () => {
    const { broker } = await brokerAndClient();
    const session = broker.openSessions[0];
    // Opcode 0x7f is undefined in protocol v1; its body is the empty array.
    session?.socket.write(Buffer.from("534e017f000000000000000500000001" + "90", "hex"));
    session?.send({ op: "Ping" }, 5);
    await broker.waitForFrame("Pong", (frame) => frame.header.requestId === 5, 2000);
  }, ENGINE_TIMEOUT_MS);

  it("closes the connection with a ProtocolError when a frame cannot be decoded", async () => {
    const collected = errorCollector();
    // The broker leaves the DeclareQueue unanswered, then sends bytes that are no frame.
    const { broker, client } = await brokerAndClient({ onError: collected.onError });
    const pending = client.declareQueue("orders");
    await broker.waitForFrame("DeclareQueue");
    broker.openSessions[0]?.socket.write(Buffer.from("534e0107000000000000000900000001" + "c1", "hex"));
    const error = await rejectionOf(pending);
    expect(error).toBeInstanceOf(ConnectionLostError);
    expect((error as Error).cause).toBeInstanceOf(ProtocolError);
    await broker.waitFor(() => collected.errors.length > 0, 2000, "the reported error");
    expect(collected.errors[0]).toBeInstanceOf(ProtocolError);
  }, ENGINE_TIMEOUT_MS);

  it("reports an Error with request id 0 through onError and keeps the connection", async () => {
    const collected = errorCollector();
    const { broker, client } = await brokerAndClient({ onError: collected.onError });
    answerDeclares(broker);
    broker.pushToAll({ op: "Error", code: 13, retryable: true, message: "disk is recovering" });
    await broker.waitFor(() => collected.errors.length === 1, 2000, "the reported error");
    expect(collected.errors[0]).toMatchObject({ name: "BrokerError", code: "unavailable", isRetryable: true });
    expect((await client.declareQueue("orders")).created).toBe(true);
  }, ENGINE_TIMEOUT_MS);

  it.each(["Hello", "Ack", "TopologyRequest"] as const)("reports an op only clients send (%s), received from the broker, as a ProtocolError", async (op) => {
    const collected = errorCollector();
    const { broker } = await brokerAndClient({ onError: collected.onError });
    const message =
      op === "Hello"
        ? { op, minVersion: 1, maxVersion: 1, clientName: "x", clientVersion: "1" }
        : op === "Ack"
          ? { op, deliveryIds: [1n] }
          : { op };
    broker.pushToAll(message);
    await broker.waitFor(() => collected.errors.length === 1, 2000, "the reported error");
    expect(collected.errors[0]).toBeInstanceOf(ProtocolError);
    expect(collected.errors[0]?.message).toContain(`the broker sent ${op}, which only clients send`);
  }, ENGINE_TIMEOUT_MS);

  it("applies a pushed Topology to routing and acknowledges its generation", async () => {
    const { broker, client } = await brokerAndClient();
    answerPublishes(broker);
    broker.pushToAll(topology([{ topic: "orders", partitions: 5, routingVersion: 9n }], 42n));
    const ack = await broker.waitForFrame("TopologyAck");
    expect(ack.message.generation).toBe(42n);
    const receipt = await client.createPublisher("orders").publish(OutgoingMessage.text("x", { key: "customer-7" }));
    expect(receipt.partition).toBe(partitionForKey("customer-7", 5));
    const [publish] = broker.framesOf("Publish");
    expect(publish?.message.message.partition).toBe(partitionForKey("customer-7", 5));
    expect(publish?.message.routingVersion).toBe(9n);
    expect(broker.framesOf("TopologyRequest")).toHaveLength(0);
  }, ENGINE_TIMEOUT_MS);
});
