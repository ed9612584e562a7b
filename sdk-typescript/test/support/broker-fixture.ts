// Starting the real Sinew broker for integration tests: the built host
// (broker/src/Sinew.Broker.Host/bin/Release/net10.0/sinew-broker.dll, or SINEW_BROKER_DLL) run
// with `dotnet` on free loopback ports and a fresh data directory, ready once it prints its one
// JSON "ready" line. It can be stopped gracefully (SIGTERM), killed, and started again on the
// same protocol port with the same data, for reconnect tests.

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** Options of {@link RealBroker.start}. */
export interface RealBrokerOptions {
  /** How long to wait for the ready line. @default 30000 */
  readonly startupTimeoutMs?: number;
  /** Users as `name:password`; any user enables authentication. */
  readonly users?: readonly string[];
  /** Settings passed as `--set section.key=value`, e.g. `{ "connection.heartbeat_ms": 1000 }`. */
  readonly settings?: Readonly<Record<string, string | number | boolean>>;
}

/** One partition of a queue as the broker's admin endpoint reports it. */
export interface PartitionStats {
  readonly index: number;
  /** Messages a consumer could be given now. */
  readonly ready: number;
  /** Messages handed to a consumer and not yet settled. */
  readonly inflight: number;
  /** Messages stored and not yet settled (ready, delayed or in flight). */
  readonly unsettled: number;
  /** The offset the next message stored will get. */
  readonly nextOffset: number;
}

interface RawPartitionStats {
  readonly index: number;
  readonly ready: number;
  readonly inflight: number;
  readonly unsettled: number;
  readonly next_offset: number;
}

interface ReadyLine {
  readonly event: "ready";
  readonly protocol: string;
  readonly http: string;
  readonly pid: number;
  readonly data_dir: string;
  readonly version: string;
}

/** The repository root: the nearest directory above this file holding broker/ and sdk-typescript/. */
export function repositoryRoot(): string {
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

/** The failure integration tests report when the broker has not been built. */
export function missingBrokerMessage(dll: string = brokerDllPath()): string {
  return (
    `the Sinew broker is not built: ${dll} does not exist. Build it from the repository root with\n` +
    "    dotnet build -c Release broker/src/Sinew.Broker.Host\n" +
    "(or set SINEW_BROKER_DLL to the path of a built sinew-broker.dll), then run the tests again."
  );
}

function isReadyLine(value: unknown): value is ReadyLine {
  if (typeof value !== "object" || value === null) return false;
  const line = value as Record<string, unknown>;
  return line["event"] === "ready" && typeof line["protocol"] === "string" && typeof line["http"] === "string" && typeof line["pid"] === "number";
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (hasExited(child)) return Promise.resolve(true);
  return new Promise((resolveExit) => {
    const timer = setTimeout(() => resolveExit(false), timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolveExit(true);
    });
  });
}

// Brokers still running when the test process exits are killed, so a crashed or interrupted test
// run never leaves one behind.
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** A running broker process, restartable on the same port and data directory. */
export class RealBroker {
  /** The protocol address, `127.0.0.1:PORT`; the same across restarts. */
  protocolAddress = "";
  /** The HTTP (admin, health, metrics) address, `127.0.0.1:PORT`; changes on restart. */
  httpAddress = "";
  /** The broker's process id. */
  pid = 0;
  /** The version the broker reported. */
  version = "";
  /** The broker's data directory, removed by {@link RealBroker.dispose}. */
  readonly dataDir: string;
  private child: ChildProcess | undefined;
  private stderrTail = "";
  private exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;

  private constructor(private readonly options: RealBrokerOptions) {
    this.dataDir = mkdtempSync(join(tmpdir(), "sinew-broker-data-"));
  }

  /**
   * Starts a broker on 127.0.0.1 port 0 (protocol and HTTP) with a fresh data directory and
   * resolves once it reports ready.
   *
   * @throws Error when the host is not built (saying how to build it), exits early, or is not
   *   ready within the timeout
   */
  static async start(options: RealBrokerOptions = {}): Promise<RealBroker> {
    const dll = brokerDllPath();
    if (!existsSync(dll)) throw new Error(missingBrokerMessage(dll));
    const broker = new RealBroker(options);
    try {
      await broker.launch("127.0.0.1:0");
    } catch (error) {
      broker.removeData();
      throw error;
    }
    return broker;
  }

  /** The protocol port. */
  get port(): number {
    return Number(this.protocolAddress.slice(this.protocolAddress.lastIndexOf(":") + 1));
  }

  /** Whether the broker process is running. */
  get isRunning(): boolean {
    return this.child !== undefined && !hasExited(this.child);
  }

  /** The end of the broker's log (stderr), for failure messages. */
  get stderr(): string {
    return this.stderrTail;
  }

  /**
   * Stops the broker gracefully with SIGTERM (SIGKILL after `graceMs`), keeping its data.
   *
   * @returns the exit code, or `null` when it had to be killed
   */
  async stop(graceMs = 10_000): Promise<number | null> {
    const child = this.child;
    if (child === undefined || this.exit === undefined) return null;
    if (!hasExited(child)) child.kill("SIGTERM");
    if (!(await waitForExit(child, graceMs))) {
      child.kill("SIGKILL");
      await waitForExit(child, 5000);
      return null;
    }
    return (await this.exit).code;
  }

  /** Kills the broker at once (SIGKILL), as a crash would, keeping its data. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined || hasExited(child)) return;
    child.kill("SIGKILL");
    await waitForExit(child, 5000);
  }

  /** Starts the broker again on the same protocol port with the same data directory. */
  async restart(): Promise<void> {
    if (this.isRunning) await this.stop();
    await this.launch(this.protocolAddress);
  }

  /** Stops the broker and removes its data directory. */
  async dispose(): Promise<void> {
    await this.stop(5000);
    this.removeData();
  }

  /**
   * Sets the broker's global dead-letter target (`PUT /admin/dead-letter-target`), where queues
   * with the `global` policy send their dead messages.
   */
  async setGlobalDeadLetterTarget(topic: string, group?: string): Promise<void> {
    const response = await fetch(`http://${this.httpAddress}/admin/dead-letter-target`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(group === undefined ? { topic } : { topic, group }),
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) throw new Error(`setting the global dead-letter target failed: HTTP ${response.status} ${await response.text()}`);
  }

  /**
   * The partitions of a queue as the broker counts them (`GET /admin/queues`): what is ready, in
   * flight to consumers, not yet settled, and the next offset. Tests read what the broker did
   * here rather than inferring it from the client.
   *
   * @throws Error when the broker lists no such queue
   */
  async queueStats(topic: string, group?: string): Promise<PartitionStats[]> {
    const response = await fetch(`http://${this.httpAddress}/admin/queues`, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`listing the queues failed: HTTP ${response.status} ${await response.text()}`);
    const queues = (await response.json()) as { topic: string; group: string | null; partition_stats: RawPartitionStats[] | null }[];
    const queue = queues.find((entry) => entry.topic === topic && (entry.group ?? undefined) === group);
    if (queue === undefined) throw new Error(`the broker lists no queue ${topic}${group === undefined ? "" : ` (group ${group})`}`);
    return (queue.partition_stats ?? []).map((stats) => ({
      index: stats.index,
      ready: stats.ready,
      inflight: stats.inflight,
      unsettled: stats.unsettled,
      nextOffset: stats.next_offset,
    }));
  }

  private removeData(): void {
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private arguments(listen: string): string[] {
    const extra: string[] = [];
    for (const user of this.options.users ?? []) extra.push("--user", user);
    for (const [key, value] of Object.entries(this.options.settings ?? {})) extra.push("--set", `${key}=${String(value)}`);
    return [brokerDllPath(), "--listen", listen, "--http", "127.0.0.1:0", "--data-dir", this.dataDir, ...extra];
  }

  private async launch(listen: string): Promise<void> {
    const child = spawn("dotnet", this.arguments(listen), { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    running.add(child);
    this.exit = new Promise((resolveExit) => {
      child.once("exit", (code, signal) => {
        running.delete(child);
        resolveExit({ code, signal });
      });
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      // Keep the end of stderr for failure messages; the beginning rarely explains a crash.
      this.stderrTail = (this.stderrTail + chunk.toString("utf8")).slice(-8192);
    });
    const startupTimeoutMs = this.options.startupTimeoutMs ?? 30_000;
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    try {
      const ready = await new Promise<ReadyLine>((resolveReady, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`the broker did not report ready within ${startupTimeoutMs} ms; stderr:\n${this.stderrTail}`)),
          startupTimeoutMs,
        );
        child.once("error", (error) => {
          clearTimeout(timer);
          reject(new Error(`could not start dotnet: ${error.message}`, { cause: error }));
        });
        void this.exit?.then(({ code, signal }) => {
          clearTimeout(timer);
          reject(new Error(`the broker exited before it was ready (code ${code}, signal ${signal}); stderr:\n${this.stderrTail}`));
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
      this.protocolAddress = ready.protocol;
      this.httpAddress = ready.http;
      this.pid = ready.pid;
      this.version = ready.version;
    } catch (error) {
      if (!hasExited(child)) {
        child.kill("SIGKILL");
        await waitForExit(child, 5000);
      }
      throw error;
    } finally {
      lines.close();
      // Keep draining stdout so the broker never blocks on a full pipe.
      child.stdout?.resume();
    }
  }
}
