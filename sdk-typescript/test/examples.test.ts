// The examples under examples/ run as they are, against the fake broker, and exit 0 within
// their bound; the same scripts run against the real broker later.

import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runNode } from "./support/child-process.js";
import { startBroker } from "./support/harness.js";
import { buildRunnablePackage, type RunnablePackage } from "./support/runnable-package.js";

const TIMEOUT_MS = 20_000;
const examplesDirectory = join(dirname(fileURLToPath(import.meta.url)), "..", "examples");
const examples = readdirSync(examplesDirectory).filter((name) => name.endsWith(".mjs")).sort();
let runnable: RunnablePackage;

beforeAll(() => {
  runnable = buildRunnablePackage();
  mkdirSync(join(runnable.root, "examples"));
  for (const name of examples) copyFileSync(join(examplesDirectory, name), join(runnable.root, "examples", name));
}, TIMEOUT_MS);

afterAll(() => runnable?.remove());

describe("examples", () => {
  it("include publish, consume, confirmed-delayed and partitions", () => {
    expect(examples).toEqual(["confirmed-delayed.mjs", "consume.mjs", "partitions.mjs", "publish.mjs"]);
  }, TIMEOUT_MS);

  it.each(examples)("%s exits 0 against a broker at SINEW_BROKER", async (name) => {
    const broker = await startBroker();
    const outcome = await runNode(join(runnable.root, "examples", name), {
      cwd: runnable.root,
      env: { SINEW_BROKER: broker.address },
      boundMs: 12_000,
    });
    expect(outcome.timedOut, `${name} did not finish: ${outcome.stdout}${outcome.stderr}`).toBe(false);
    expect(outcome.stderr).toBe("");
    expect(outcome.code).toBe(0);
    expect(broker.framesOf("Goodbye")).toHaveLength(1);
  }, TIMEOUT_MS);
});
