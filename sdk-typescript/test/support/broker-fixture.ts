// Starting the real Sinew broker for integration tests: the built host
// (broker/src/Sinew.Broker.Host/bin/Release/net10.0/sinew-broker.dll, or SINEW_BROKER_DLL) run
// with `dotnet` on free loopback ports and a fresh data directory, ready once it prints its
// one JSON "ready" line, and stopped with SIGTERM.

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** A running broker. */
export interface RealBroker {
  /** The protocol address, `127.0.0.1:PORT`. */
  readonly protocolAddress: string;
  /** The HTTP (admin and metrics) address, `127.0.0.1:PORT`. */
  readonly httpAddress: string;
  /** The broker's process id. */
  readonly pid: number;
  /** The broker's data directory, removed by {@link RealBroker.stop}. */
  readonly dataDir: string;
  /** Stops the broker with SIGTERM (SIGKILL after `graceMs`) and removes its data directory. */
  stop(graceMs?: number): Promise<void>;
}

/** Options of {@link startRealBroker}. */
export interface RealBrokerOptions {
  /** How long to wait for the ready line. @default 30000 */
  readonly startupTimeoutMs?: number;
  /** Extra command-line arguments for the broker. */
  readonly extraArguments?: readonly string[];
}

interface ReadyLine {
  readonly event: "ready";
  readonly protocol: string;
  readonly http: string;
  readonly pid: number;
  readonly data_dir: string;
}

function repositoryRoot(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(directory, "broker")) && existsSync(join(directory, "sdk-typescript"))) return directory;
    const parent = dirname(directory);
    if (parent === directory) throw new Error("the repository root (holding broker/ and sdk-typescript/) was not found");
    directory = parent;
  }
}

/** The broker host assembly: `SINEW_BROKER_DLL`, or the Release build in the repository. */
export function brokerDllPath(): string {
  const fromEnvironment = process.env["SINEW_BROKER_DLL"];
  if (fromEnvironment !== undefined && fromEnvironment.length > 0) return resolve(fromEnvironment);
  return join(repositoryRoot(), "broker", "src", "Sinew.Broker.Host", "bin", "Release", "net10.0", "sinew-broker.dll");
}

/** Whether the broker host has been built (so integration tests can run). */
export function isRealBrokerAvailable(): boolean {
  return existsSync(brokerDllPath());
}

function isReadyLine(value: unknown): value is ReadyLine {
  if (typeof value !== "object" || value === null) return false;
  const line = value as Record<string, unknown>;
  return line["event"] === "ready" && typeof line["protocol"] === "string" && typeof line["http"] === "string" && typeof line["pid"] === "number";
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolveExit) => {
    const timer = setTimeout(() => resolveExit(false), timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolveExit(true);
    });
  });
}

/**
 * Starts the broker on 127.0.0.1 port 0 (protocol and HTTP) with a fresh data directory and
 * resolves once it reports ready.
 *
 * @throws Error when the host is not built, exits early, or is not ready within the timeout
 */
export async function startRealBroker(options: RealBrokerOptions = {}): Promise<RealBroker> {
  const dll = brokerDllPath();
  if (!existsSync(dll)) throw new Error(`the broker host is not built: ${dll} does not exist (set SINEW_BROKER_DLL to use another build)`);
  const dataDir = mkdtempSync(join(tmpdir(), "sinew-broker-data-"));
  const child = spawn(
    "dotnet",
    [dll, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data-dir", dataDir, ...(options.extraArguments ?? [])],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    // Keep the end of stderr for the failure message; the beginning rarely explains a crash.
    stderr = (stderr + chunk.toString("utf8")).slice(-8192);
  });
  const stop = async (graceMs = 10_000): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      if (!(await waitForExit(child, graceMs))) {
        child.kill("SIGKILL");
        await waitForExit(child, 5000);
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  const startupTimeoutMs = options.startupTimeoutMs ?? 30_000;
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  try {
    const ready = await new Promise<ReadyLine>((resolveReady, reject) => {
      const timer = setTimeout(() => reject(new Error(`the broker did not report ready within ${startupTimeoutMs} ms; stderr:\n${stderr}`)), startupTimeoutMs);
      child.once("error", (error) => {
        clearTimeout(timer);
        reject(new Error(`could not start dotnet: ${error.message}`, { cause: error }));
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the broker exited before it was ready (code ${code}, signal ${signal}); stderr:\n${stderr}`));
      });
      lines.on("line", (line) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          return;
        }
        if (isReadyLine(parsed)) {
          clearTimeout(timer);
          resolveReady(parsed);
        }
      });
    });
    child.removeAllListeners("exit");
    lines.close();
    child.stdout?.resume();
    return { protocolAddress: ready.protocol, httpAddress: ready.http, pid: ready.pid, dataDir, stop };
  } catch (error) {
    lines.close();
    await stop(2000);
    throw error;
  }
}
