// What a client tells about itself and how it connects on demand, the same in every client:
// ensureConnected() connects (or reconnects after a drop) now, isClosed says whether closing
// began, options gives back the options the client was made with. A fault proxy cuts the
// connection.

import { afterEach, describe, expect, it } from "vitest";
import { ClientClosedError } from "../../src/errors/client-closed-error.js";
import { FaultProxy } from "../support/fault-proxy.js";
import { BROKER_TEST_TIMEOUT_MS, connect, eventually, rejectionOf, useRealBroker } from "../support/real-broker.js";

const broker = useRealBroker();
const proxies: FaultProxy[] = [];

afterEach(async () => {
  await Promise.allSettled(proxies.splice(0).map((proxy) => proxy.stop()));
});

describe("the client's state", () => {
  it("ensureConnected() reconnects now after a drop, and fails once the client is closed", async () => {
    const proxy = await FaultProxy.start(broker().protocolAddress);
    proxies.push(proxy);
    const client = await connect(proxy.address, { reconnect: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 50, jitter: 0 } });
    await client.ensureConnected();
    expect((await proxy.connections()).accepted).toBe(1);

    await proxy.cut();
    await eventually(() => (client.isConnected ? undefined : true), 10_000, "the client noticing the cut");
    await client.ensureConnected();
    expect(client.isConnected).toBe(true);
    expect((await proxy.connections()).accepted).toBe(2);

    expect(client.isClosed).toBe(false);
    await client.close();
    expect(client.isClosed).toBe(true);
    expect(await rejectionOf(client.ensureConnected())).toBeInstanceOf(ClientClosedError);
  }, BROKER_TEST_TIMEOUT_MS);

  it("options are those the client was made with, defaults filled in, and frozen", async () => {
    const client = await connect(broker(), { requestTimeoutMs: 7000, clientName: "state-test" });
    const options = client.options;
    expect(options.endpoints).toEqual([broker().protocolAddress]);
    expect(options.requestTimeoutMs).toBe(7000);
    expect(options.clientName).toBe("state-test");
    expect(options.heartbeatMs).toBe(10_000);
    expect(options.reconnect).toMatchObject({ maxAttempts: 5 });
    expect(Object.isFrozen(options)).toBe(true);
    expect(options.signal).toBeUndefined();
  }, BROKER_TEST_TIMEOUT_MS);
});
