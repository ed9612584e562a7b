// Real-broker tests with the fault proxy in between: a proxy in front of the test file's broker
// (stopped after the test), a client connected through it that reconnects quickly, and waits on
// the proxy's byte counts for "this side has written" instead of sleeping.

import { afterEach } from "vitest";
import type { SinewClientOptions } from "../../src/client/client-options.js";
import type { SinewClient } from "../../src/client/sinew-client.js";
import type { RealBroker } from "./broker-fixture.js";
import { FaultProxy, type ProxyDirection } from "./fault-proxy.js";
import { connect, eventually } from "./real-broker.js";

const proxies: FaultProxy[] = [];

afterEach(async () => {
  await Promise.allSettled(proxies.splice(0).map((proxy) => proxy.stop()));
});

/** A fault proxy in front of `broker`, stopped after the test. */
export async function proxyTo(broker: RealBroker): Promise<FaultProxy> {
  const proxy = await FaultProxy.start(broker.protocolAddress);
  proxies.push(proxy);
  return proxy;
}

/** A proxy in front of `broker` and a client connected through it, closed after the test. */
export async function clientThroughProxy(broker: RealBroker, options: SinewClientOptions = {}): Promise<{ proxy: FaultProxy; client: SinewClient }> {
  const proxy = await proxyTo(broker);
  const client = await connect(proxy.address, { reconnect: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 50, jitter: 0 }, ...options });
  return { proxy, client };
}

/** Bytes the proxy has read one way on its open connection: `up` from the client, `down` from the broker. */
export async function bytesRead(proxy: FaultProxy, direction: Exclude<ProxyDirection, "both">): Promise<number> {
  const [connection] = (await proxy.connections()).open;
  if (connection === undefined) throw new Error("the proxy has no open connection");
  return direction === "up" ? connection.up.read : (connection.down?.read ?? 0);
}

/** Bytes the proxy has forwarded one way on its open connection. */
export async function bytesForwarded(proxy: FaultProxy, direction: Exclude<ProxyDirection, "both">): Promise<number> {
  const [connection] = (await proxy.connections()).open;
  if (connection === undefined) throw new Error("the proxy has no open connection");
  return direction === "up" ? connection.up.bytes : (connection.down?.bytes ?? 0);
}

/** Resolves once the proxy has read more than `baseline` bytes one way: that side has written. */
export async function readPast(proxy: FaultProxy, direction: Exclude<ProxyDirection, "both">, baseline: number, what: string): Promise<void> {
  await eventually(async () => ((await bytesRead(proxy, direction)) > baseline ? true : undefined), 10_000, what);
}

/** Resolves once the client no longer reports a connection. */
export async function waitForDrop(client: SinewClient): Promise<void> {
  await eventually(() => (client.isConnected ? undefined : true), 10_000, "the client noticing the drop");
}
