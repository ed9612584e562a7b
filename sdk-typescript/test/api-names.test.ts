// Holds the TypeScript client's public surface (what src/index.ts exports) to the shared names table,
// conformance/api-names.json, both ways: every TypeScript name the table records exists, and every exported
// name and member is in the table. A name added or renamed here fails until the table records it (and, by
// review, the C# and Python clients follow). What counts as a member is described in support/public-surface.ts.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { readPublicSurface, type PublicSurface } from "./support/public-surface.js";

const TABLE_FILE = "conformance/api-names.json";
const TIMEOUT_MS = 60_000;

interface TableEntry {
  readonly typescript?: string | null;
  readonly members?: readonly { readonly typescript?: string | null }[];
}

function tableEntries(): Map<string, Set<string>> {
  const path = fileURLToPath(new URL(`../../${TABLE_FILE}`, import.meta.url));
  const table = JSON.parse(readFileSync(path, "utf8")) as { types: TableEntry[] };
  const entries = new Map<string, Set<string>>();
  for (const entry of table.types) {
    if (typeof entry.typescript === "string") {
      const members = (entry.members ?? []).map((m) => m.typescript).filter((m): m is string => typeof m === "string");
      entries.set(entry.typescript, new Set(members));
    }
  }
  return entries;
}

describe("the shared names table", () => {
  let surface: PublicSurface;
  const table = tableEntries();

  beforeAll(() => {
    surface = readPublicSurface();
  }, TIMEOUT_MS);

  it("records only TypeScript names that src/index.ts exports", () => {
    const missing: string[] = [];
    for (const [name, members] of table) {
      const actual = surface.get(name);
      if (actual === undefined) {
        missing.push(`export ${name}`);
        continue;
      }
      missing.push(...[...members].filter((m) => !actual.has(m)).map((m) => `member ${name}.${m}`));
    }
    expect(missing, `${TABLE_FILE} records TypeScript names the package does not export (rename them in the table, or restore them in sdk-typescript/src)`).toEqual([]);
  }, TIMEOUT_MS);

  it("records every name and member src/index.ts exports", () => {
    const extra: string[] = [];
    for (const [name, members] of surface) {
      const recorded = table.get(name);
      if (recorded === undefined) {
        extra.push(`export ${name}`);
        continue;
      }
      extra.push(...[...members].filter((m) => !recorded.has(m)).map((m) => `member ${name}.${m}`));
    }
    expect(extra, `sdk-typescript/src/index.ts exports names ${TABLE_FILE} does not record (add them under "typescript" in the table, next to their C# and Python names or null with a "why")`).toEqual([]);
  }, TIMEOUT_MS);

  it("reads declared members, well-known symbols and literal unions, not private or inherited ones", () => {
    expect([...surface.get("AckMode")!].sort()).toEqual(["auto", "manual"]);
    const client = surface.get("SinewClient")!;
    expect(client.has("connect")).toBe(true);
    expect(client.has("[Symbol.asyncDispose]")).toBe(true);
    expect(client.has("constructor")).toBe(false);
    expect(surface.get("ClientClosedError")!.has("message")).toBe(false);
  }, TIMEOUT_MS);
});
