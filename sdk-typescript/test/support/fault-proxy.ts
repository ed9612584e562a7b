// Starting sinew-fault-proxy (tools/faultproxy) in front of a real broker and driving it over its
// HTTP control endpoint: cut, half-close, stall, resume, delay, close after N bytes, blackhole,
// and the list of its connections. The proxy's README documents the commands.

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { repositoryRoot } from "./broker-fixture.js";

/** Which way a fault acts, from the client's side: `up` is what it writes, `down` what it reads. */
export type ProxyDirection = "up" | "down" | "both";

/** Which connections a fault applies to: open ones, ones accepted later, or both. */
export type ProxyScope = "current" | "new" | "all";

/** How the proxy ends a connection: a reset, an orderly close, or (for closeAfter) silence. */
export type ProxyClose = "rst" | "fin" | "drop";

/** One direction of a proxied connection. */
export interface ProxyFlow {
  /** `flowing`, `stalled`, `delayed N ms`, `discarding` or `half-closed`. */
  readonly state: string;
  /** Bytes forwarded. */
  readonly bytes: number;
  /** Bytes read from the sending side, forwarded or not. */
  readonly read: number;
}

/** An open connection through the proxy. */
export interface ProxyConnection {
  readonly id: number;
  readonly client: string | null;
  readonly up: ProxyFlow;
  readonly down: ProxyFlow | null;
}

/** What `GET /connections` answers. */
export interface ProxyConnections {
  /** Connections accepted since the start: the first connection and every reconnection. */
  readonly accepted: number;
  readonly open: readonly ProxyConnection[];
}

interface ReadyLine {
  readonly event: "ready";
  readonly listen: string;
  readonly control: string;
}

/** The proxy's entry assembly: `SINEW_FAULT_PROXY_DLL`, or the Release build in the repository. */
export function faultProxyDllPath(): string {
  const fromEnvironment = process.env["SINEW_FAULT_PROXY_DLL"];
  if (fromEnvironment !== undefined && fromEnvironment.length > 0) return resolve(fromEnvironment);
  return join(repositoryRoot(), "tools", "faultproxy", "src", "Sinew.FaultProxy", "bin", "Release", "net10.0", "sinew-fault-proxy.dll");
}

// Proxies still running when the test process exits are killed; they also exit by themselves
// when their standard input (a pipe from this process) closes.
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** A running fault proxy; clients connect to {@link FaultProxy.address} instead of the broker. */
export class FaultProxy {
  private constructor(
    private readonly child: ChildProcess,
    /** Where clients connect, `127.0.0.1:PORT`. */
    readonly address: string,
    /** The control endpoint, `127.0.0.1:PORT`. */
    readonly controlAddress: string,
  ) {}

  /**
   * Starts a proxy forwarding to `target` (`127.0.0.1:PORT`) from a free loopback port, and
   * resolves once it printed its ready line.
   *
   * @throws Error when the proxy is not built (saying how to build it), exits early, or is not
   *   ready within `startupTimeoutMs`
   */
  static async start(target: string, startupTimeoutMs = 30_000): Promise<FaultProxy> {
    const dll = faultProxyDllPath();
    if (!existsSync(dll)) {
      throw new Error(
        `the fault proxy is not built: ${dll} does not exist. Build it from the repository root with\n` +
          "    dotnet build -c Release tools/faultproxy/src/Sinew.FaultProxy\n" +
          "(or set SINEW_FAULT_PROXY_DLL to a built sinew-fault-proxy.dll).",
      );
    }
    const child = spawn("dotnet", [dll, "--target", target], { stdio: ["pipe", "pipe", "pipe"] });
    running.add(child);
    child.once("exit", () => running.delete(child));
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString("utf8")).slice(-4096)));
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    try {
      const ready = await new Promise<ReadyLine>((resolveReady, reject) => {
        const timer = setTimeout(() => reject(new Error(`the fault proxy was not ready within ${startupTimeoutMs} ms; stderr:\n${stderr}`)), startupTimeoutMs);
        child.once("error", (error) => {
          clearTimeout(timer);
          reject(new Error(`could not start dotnet: ${error.message}`, { cause: error }));
        });
        child.once("exit", (code, signal) => {
          clearTimeout(timer);
          reject(new Error(`the fault proxy exited before it was ready (code ${code}, signal ${signal}); stderr:\n${stderr}`));
        });
        lines.on("line", (line) => {
          try {
            const parsed = JSON.parse(line) as Partial<ReadyLine>;
            if (parsed.event === "ready" && typeof parsed.listen === "string" && typeof parsed.control === "string") {
              clearTimeout(timer);
              resolveReady(parsed as ReadyLine);
            }
          } catch {
            // Not the ready line.
          }
        });
      });
      return new FaultProxy(child, ready.listen, ready.control);
    } catch (error) {
      child.kill("SIGKILL");
      throw error;
    } finally {
      lines.close();
      child.stdout?.resume();
    }
  }

  /** Ends connections towards both peers: a reset (`rst`, the default) or an orderly close (`fin`). */
  cut(how: "rst" | "fin" = "rst", scope: ProxyScope = "current"): Promise<number[]> {
    return this.command("cut", { how, scope });
  }

  /** Sends an end of stream one way (`down`: the client reads end of stream); the other way keeps flowing. */
  halfClose(direction: ProxyDirection, scope: ProxyScope = "current"): Promise<number[]> {
    return this.command("half-close", { direction, scope });
  }

  /** Stops forwarding in `direction`; bytes back up in TCP until {@link FaultProxy.resume}. */
  stall(direction: ProxyDirection = "both", scope: ProxyScope = "current"): Promise<number[]> {
    return this.command("stall", { direction, scope });
  }

  /** Forwards again what was stalled, on open connections and for new ones. */
  resume(direction: ProxyDirection = "both"): Promise<number[]> {
    return this.command("resume", { direction });
  }

  /** Holds each chunk for `delayMs` before forwarding it (0 ends the delay). */
  delay(delayMs: number, direction: ProxyDirection = "both", scope: ProxyScope = "current"): Promise<number[]> {
    return this.command("delay", { ms: delayMs, direction, scope });
  }

  /** Forwards `bytes` more bytes in `direction`, then resets, closes or (`drop`) discards the rest. */
  closeAfter(bytes: number, direction: ProxyDirection, how: ProxyClose = "rst", scope: ProxyScope = "current"): Promise<number[]> {
    return this.command("close-after", { bytes, direction, how, scope });
  }

  /** Forwards nothing: open connections discard what they read; new ones get no broker behind them. */
  blackhole(scope: ProxyScope = "current"): Promise<number[]> {
    return this.command("blackhole", { scope });
  }

  /** Clears the faults waiting for new connections, and lifts stalls and delays. */
  reset(): Promise<number[]> {
    return this.command("reset", {});
  }

  /** The open connections and how many were accepted in all. */
  connections(): Promise<ProxyConnections> {
    return this.list(0, 0, 0);
  }

  /**
   * Waits until at least `accepted` connections were accepted in all and `open` are open (a
   * reconnect shows as one more accepted), failing after `timeoutMs`.
   */
  async waitForConnections({ accepted = 0, open = 1, timeoutMs = 20_000 }: { accepted?: number; open?: number; timeoutMs?: number }): Promise<ProxyConnections> {
    const state = await this.list(accepted, open, timeoutMs);
    if (state.accepted < accepted || state.open.length < open) {
      throw new Error(`the proxy did not see ${accepted} connections accepted and ${open} open within ${timeoutMs} ms (accepted ${state.accepted}, open ${state.open.length})`);
    }
    return state;
  }

  /** Stops the proxy (closing its standard input) and waits for it to exit; kills it after 10 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolveExit) => child.once("exit", () => resolveExit()));
    child.stdin?.end();
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }

  private async list(accepted: number, open: number, timeoutMs: number): Promise<ProxyConnections> {
    const response = await fetch(`http://${this.controlAddress}/connections?accepted=${accepted}&open=${open}&timeout_ms=${timeoutMs}`, {
      signal: AbortSignal.timeout(timeoutMs + 30_000),
    });
    return (await response.json()) as ProxyConnections;
  }

  private async command(name: string, body: Record<string, unknown>): Promise<number[]> {
    const response = await fetch(`http://${this.controlAddress}/${name}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const answer = (await response.json()) as { connections?: number[]; error?: string };
    if (!response.ok) throw new Error(`the fault proxy refused ${name}: ${answer.error ?? response.status}`);
    return answer.connections ?? [];
  }
}
