// Authentication against a broker started with users: the right credentials connect, wrong or
// missing ones are refused promptly with a typed, non-retryable `unauthorized`.

import { describe, expect, it } from "vitest";
import { SinewClient } from "../../src/client/sinew-client.js";
import { SinewCredentials } from "../../src/client/credentials.js";
import { BrokerError } from "../../src/errors/broker-error.js";
import { BROKER_TEST_TIMEOUT_MS, connect, rejectionOf, uniqueTopic, useRealBroker } from "../support/real-broker.js";

const broker = useRealBroker({ users: ["alice:s3cret", "bob:pa:ss word"] });

function connectAs(credentials: SinewCredentials | undefined): Promise<SinewClient> {
  return SinewClient.connect({
    endpoints: [broker().protocolAddress],
    // Longer than the test's limit: a refusal must come as an answer, not as silence.
    connectTimeoutMs: 60_000,
    ...(credentials === undefined ? {} : { credentials }),
  });
}

describe("authentication", () => {
  it("connects with a user name and password the broker knows", async () => {
    const client = await connect(broker(), { credentials: SinewCredentials.plain("alice", "s3cret") });
    await client.declareQueue(uniqueTopic("auth"));
    expect(client.isConnected).toBe(true);
  }, BROKER_TEST_TIMEOUT_MS);

  it("passes a password holding colons and spaces unchanged", async () => {
    const client = await connect(broker(), { credentials: SinewCredentials.plain("bob", "pa:ss word") });
    expect(client.isConnected).toBe(true);
  }, BROKER_TEST_TIMEOUT_MS);

  it.each([
    ["a wrong password", SinewCredentials.plain("alice", "wrong")],
    ["an unknown user", SinewCredentials.plain("mallory", "s3cret")],
    ["no credentials", undefined],
  ])("refuses %s with BrokerError unauthorized, not retryable", async (_label, credentials) => {
    const error = await rejectionOf(connectAs(credentials));
    expect(error).toBeInstanceOf(BrokerError);
    expect(error).toMatchObject({ code: "unauthorized", brokerCode: 6, isRetryable: false });
    expect((error as Error).message).toContain("credentials");
  }, 10_000);

  it("fails with BrokerError unauthorized when the credentials are wrong, of another mechanism, or missing", async () => {
    for (const credentials of [SinewCredentials.plain("alice", "wrong"), SinewCredentials.token("s3cret"), undefined]) {
      const error = await rejectionOf(connectAs(credentials));
      expect(error).toBeInstanceOf(BrokerError);
      expect(error).toMatchObject({ code: "unauthorized", isRetryable: false });
    }
  }, 10_000);

  it("never shows the password in the error or the credentials' printed forms", async () => {
    const credentials = SinewCredentials.plain("alice", "not-the-password");
    const error = await rejectionOf(connectAs(credentials));
    expect(String(error)).not.toContain("not-the-password");
    expect(`${credentials}${JSON.stringify(credentials)}`).not.toContain("not-the-password");
  }, 10_000);
});
