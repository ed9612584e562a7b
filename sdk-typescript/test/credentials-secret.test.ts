// The secret of SinewCredentials goes into the handshake and nowhere else: no property of the
// object returns it, and neither toString, JSON.stringify nor util.inspect shows it, as in the
// C# and Python clients.

import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { credentialsToAuth, SinewCredentials } from "../src/client/credentials.js";

const SECRET = "s3cret-password";
const TIMEOUT_MS = 10_000;

describe("SinewCredentials' secret", () => {
  for (const [kind, credentials] of [
    ["plain", SinewCredentials.plain("alice", SECRET)],
    ["token", SinewCredentials.token(SECRET)],
  ] as const) {
    it(`is not readable from ${kind} credentials`, () => {
      const record = credentials as unknown as Record<PropertyKey, unknown>;
      expect(record["secret"]).toBeUndefined();
      const values = Reflect.ownKeys(credentials).map((key) => record[key]);
      expect(values).not.toContain(SECRET);
    }, TIMEOUT_MS);

    it(`is not shown by ${kind} credentials`, () => {
      const shown = [String(credentials), JSON.stringify(credentials), inspect(credentials), inspect({ credentials }, { showHidden: true })];
      for (const text of shown) expect(text).not.toContain(SECRET);
    }, TIMEOUT_MS);
  }

  it("is sent in the handshake record", () => {
    expect(credentialsToAuth(SinewCredentials.plain("alice", SECRET))).toEqual({ mechanism: "plain", identity: "alice", secret: SECRET });
  }, TIMEOUT_MS);
});
