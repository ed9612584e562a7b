// An operation waiting out a reconnect backoff keeps its process alive until it completes: the
// fake broker refuses one connection attempt, which a real broker cannot be made to do. That
// nothing keeps the process alive once the client is closed or its connection is lost is tested
// against the real broker (broker/process.test.ts).

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runNode } from "./support/child-process.js";
import { buildRunnablePackage, type RunnablePackage } from "./support/runnable-package.js";
import { answerDeclares, startBroker } from "./support/harness.js";

const TIMEOUT_MS = 20_000;
let runnable: RunnablePackage;

beforeAll(() => {
  runnable = buildRunnablePackage();
}, TIMEOUT_MS);

afterAll(() => runnable?.remove());

describe("process lifetime", () => {
  it("keeps the process alive while an operation waits between reconnect attempts", async () => {
    const broker = await startBroker();
    answerDeclares(broker);
    const script = join(runnable.root, "reconnect-and-close.mjs");
    writeFileSync(
      script,
      `import { SinewClient } from "@sinew/client";
const client = await SinewClient.connect({ endpoints: [process.env.BROKER], reconnect: { initialDelayMs: 300, jitter: 0 } });
await client.declareQueue("orders");
console.log("connected");
while (client.isConnected) await new Promise((resolve) => setTimeout(resolve, 10));
await client.declareQueue("orders");
await client.close();
console.log("reconnected");`,
    );
    const running = runNode(script, { cwd: runnable.root, env: { BROKER: broker.address }, boundMs: 8000 });
    await broker.waitForFrame("DeclareQueue", () => true, 5000);
    // The first reconnect attempt is refused; the next one, after the backoff, succeeds.
    broker.refuseConnections = true;
    broker.dropConnections();
    await broker.waitFor(() => broker.connectionTimes.length === 2, 5000, "the refused attempt");
    broker.refuseConnections = false;
    const outcome = await running;
    expect(outcome.stderr).toBe("");
    expect(outcome.stdout.split("\n").filter(Boolean)).toEqual(["connected", "reconnected"]);
    expect(outcome.code).toBe(0);
    expect(broker.sessions).toHaveLength(2);
  }, TIMEOUT_MS);
});
