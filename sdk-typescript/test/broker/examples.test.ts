// The scripts under examples/ run as they are against the real broker (through a proxy that
// watches their frames), each within a bound, exit 0 with their expected output, and close with
// a Goodbye the broker answers.

import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runNode } from "../support/child-process.js";
import { BROKER_HOOK_TIMEOUT_MS, BROKER_TEST_TIMEOUT_MS, useRealBroker } from "../support/real-broker.js";
import { buildRunnablePackage, type RunnablePackage } from "../support/runnable-package.js";
import { TcpProxy } from "../support/tcp-proxy.js";

const examplesDirectory = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "examples");
const examples = readdirSync(examplesDirectory).filter((name) => name.endsWith(".mjs")).sort();
const broker = useRealBroker();
let runnable: RunnablePackage;

beforeAll(() => {
  runnable = buildRunnablePackage();
  mkdirSync(join(runnable.root, "examples"));
  for (const name of examples) copyFileSync(join(examplesDirectory, name), join(runnable.root, "examples", name));
}, BROKER_HOOK_TIMEOUT_MS);

afterAll(() => runnable?.remove());

// What each example prints, line by line.
const EXPECTED_OUTPUT: Readonly<Record<string, readonly RegExp[]>> = {
  "confirmed-delayed.mjs": [/^pipelined: 5 confirmed, last offset 4$/, /^reliable: producer [0-9a-f-]{36}, offset 6, duplicate false$/, /^delayed message arrived after \d+ ms$/],
  "consume.mjs": [/^order 1: handled on attempt 1$/, /^order 2: failed on attempt 1, retrying$/, /^order 3: handled on attempt 1$/, /^order 2: handled on attempt 2$/],
  "partitions.mjs": [/^keyless partitions: 0, 1, 2, 3$/, /^subscribed to partitions 0, 1, 2, 3$/, /^messages per partition: \d+, \d+, \d+, \d+$/],
  "publish.mjs": [/^confirmed: partition 0, offset 1$/, /^batch: offsets 2, 3, 4$/],
};

describe("examples against the real broker", () => {
  it("include publish, consume, confirmed-delayed and partitions", () => {
    expect(examples).toEqual(Object.keys(EXPECTED_OUTPUT).sort());
  }, BROKER_TEST_TIMEOUT_MS);

  it.each(examples)("%s exits 0 with its expected output", async (name) => {
    const proxy = await TcpProxy.start(broker().protocolAddress);
    try {
      const outcome = await runNode(join(runnable.root, "examples", name), {
        cwd: runnable.root,
        env: { SINEW_BROKER: proxy.address },
        boundMs: 15_000,
      });
      expect(outcome.timedOut, `${name} did not finish: ${outcome.stdout}${outcome.stderr}`).toBe(false);
      expect(outcome.stderr).toBe("");
      expect(outcome.code).toBe(0);
      const lines = outcome.stdout.split("\n").filter(Boolean);
      const expected = EXPECTED_OUTPUT[name] ?? [];
      expect(lines).toHaveLength(expected.length);
      expected.forEach((pattern, index) => expect(lines[index]).toMatch(pattern));
      const ops = proxy.seen.map((entry) => `${entry.fromClient ? ">" : "<"}${entry.op}`);
      expect(ops.slice(-2)).toEqual([">Goodbye", "<Ok"]);
    } finally {
      await proxy.stop();
    }
  }, BROKER_TEST_TIMEOUT_MS);
});
