// The structured fields the connection errors carry, the same in every client: the endpoints a
// failed connect tried and how each failed, the endpoint whose connection dropped, and the time
// limit that expired. The real broker behind a fault proxy, and loopback ports nothing listens on.

import { createServer, type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { SinewClient } from "../../src/client/sinew-client.js";
import { ConnectionError } from "../../src/errors/connection-error.js";
import { ConnectionLostError } from "../../src/errors/connection-lost-error.js";
import { OperationTimeoutError } from "../../src/errors/operation-timeout-error.js";
import { FaultProxy } from "../support/fault-proxy.js";
import { BROKER_TEST_TIMEOUT_MS, connect, eventually, rejectionOf, uniqueTopic, useRealBroker } from "../support/real-broker.js";

const broker = useRealBroker();
const proxies: FaultProxy[] = [];

afterEach(async () => {
  await Promise.allSettled(proxies.splice(0).map((proxy) => proxy.stop()));
});

async function proxyToBroker(): Promise<FaultProxy> {
  const proxy = await FaultProxy.start(broker().protocolAddress);
  proxies.push(proxy);
  return proxy;
}

/** A loopback address nothing listens on: a port the system handed out and took back. */
async function closedEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((closed) => server.close(() => closed()));
  return `127.0.0.1:${port}`;
}

async function bytesRead(proxy: FaultProxy, direction: "up" | "down"): Promise<number> {
  const [connection] = (await proxy.connections()).open;
  if (connection === undefined) throw new Error("the proxy has no open connection");
  return direction === "up" ? connection.up.read : (connection.down?.read ?? 0);
}

describe("ConnectionError.failures", () => {
  it("lists every endpoint tried with its error, in order", async () => {
    const endpoints = [await closedEndpoint(), await closedEndpoint()];
    const error = await rejectionOf(SinewClient.connect({ endpoints, connectTimeoutMs: 2000 }));
    expect(error).toBeInstanceOf(ConnectionError);
    const failures = (error as ConnectionError).failures;
    expect(failures.map((failure) => failure.endpoint)).toEqual(endpoints);
    for (const failure of failures) expect(failure.error).toBeInstanceOf(ConnectionError);
  }, BROKER_TEST_TIMEOUT_MS);

  it("lists the one endpoint of a single-endpoint connect too", async () => {
    const endpoint = await closedEndpoint();
    const error = (await rejectionOf(SinewClient.connect({ endpoints: [endpoint], connectTimeoutMs: 2000 }))) as ConnectionError;
    expect(error.failures).toHaveLength(1);
    expect(error.failures[0]?.endpoint).toBe(endpoint);
    expect(error.failures[0]?.error.message).toBe(error.message);
  }, BROKER_TEST_TIMEOUT_MS);

  it("lists the endpoints of every attempt of a failed reconnect", async () => {
    const proxy = await proxyToBroker();
    // The timeout bounds each blackholed reconnect attempt, and the first connect too: long enough for a handshake
    // through the proxy on a loaded machine (500 ms was not), short enough to keep the test quick.
    const client = await connect(proxy.address, { connectTimeoutMs: 3000, reconnect: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 20, jitter: 0 } });
    await proxy.blackhole("new");
    await proxy.cut();
    await eventually(() => (client.isConnected ? undefined : true), 10_000, "the client noticing the cut");
    const error = await rejectionOf(client.topology());
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).failures.map((failure) => failure.endpoint)).toEqual([proxy.address, proxy.address]);
  }, BROKER_TEST_TIMEOUT_MS);
});

describe("ConnectionLostError.endpoint", () => {
  it("names the endpoint whose connection dropped under an operation", async () => {
    const proxy = await proxyToBroker();
    const client = await connect(proxy.address, { reconnect: { maxAttempts: 0 } });
    const topic = uniqueTopic("lost-endpoint");
    await client.declareQueue(topic);
    // The broker's answer never arrives; the connection is cut while the publish waits for it.
    await proxy.stall("down");
    const before = await bytesRead(proxy, "up");
    const publishing = rejectionOf(client.createPublisher(topic).publish("cut"));
    await eventually(async () => ((await bytesRead(proxy, "up")) > before ? true : undefined), 10_000, "the publish being written");
    await proxy.cut();
    const error = await publishing;
    expect(error).toBeInstanceOf(ConnectionLostError);
    expect((error as ConnectionLostError).endpoint).toBe(proxy.address);
  }, BROKER_TEST_TIMEOUT_MS);
});

describe("OperationTimeoutError.timeoutMs", () => {
  it("is the request timeout that expired", async () => {
    const proxy = await proxyToBroker();
    const client = await connect(proxy.address, { requestTimeoutMs: 400 });
    await proxy.stall("up");
    const error = await rejectionOf(client.topology());
    expect(error).toBeInstanceOf(OperationTimeoutError);
    expect((error as OperationTimeoutError).timeoutMs).toBe(400);
  }, BROKER_TEST_TIMEOUT_MS);
});
