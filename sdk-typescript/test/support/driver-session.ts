// Talking to the conformance driver the way the conformance runner does: a child process fed one
// JSON request per line on stdin, answering one JSON response per line on stdout.

import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";

/** A response of the driver. */
export interface DriverResponse {
  readonly id: number | null;
  readonly ok?: boolean;
  readonly result?: Record<string, unknown>;
  readonly error?: Record<string, unknown>;
  readonly unsupported?: string;
}

/** A running driver process. */
export class DriverSession {
  /** Every line the driver wrote to stdout, in order. */
  readonly lines: string[] = [];
  private readonly responses: DriverResponse[] = [];
  private readonly waiters: (() => void)[] = [];
  private stderrText = "";
  private nextId = 1;
  private readonly exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on("line", (line) => {
      this.lines.push(line);
      try {
        this.responses.push(JSON.parse(line) as DriverResponse);
      } catch {
        // Kept in `lines`; the test checks that every line is a response.
      }
      for (const waiter of this.waiters.splice(0)) waiter();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      this.stderrText = (this.stderrText + chunk.toString("utf8")).slice(-8192);
    });
    this.exited = new Promise((resolveExit) => child.once("exit", (code) => resolveExit(code)));
  }

  /** Starts `node <script>` with the broker in `SINEW_BROKER`. */
  static start(script: string, options: { cwd: string; broker: string }): DriverSession {
    const child = spawn(process.execPath, [script], {
      cwd: options.cwd,
      env: { ...process.env, SINEW_BROKER: options.broker },
      stdio: ["pipe", "pipe", "pipe"],
    });
    return new DriverSession(child);
  }

  /** What the driver wrote to stderr (its end). */
  get stderr(): string {
    return this.stderrText;
  }

  /** Sends one step and resolves with the response carrying its id. */
  async request(step: string, args: Record<string, unknown> = {}, withinMs = 15_000): Promise<DriverResponse> {
    const id = this.nextId++;
    this.child.stdin.write(`${JSON.stringify({ id, step, ...args })}\n`);
    return this.responseTo(id, withinMs, step);
  }

  /** Sends a step and returns its result, failing when the driver did not answer ok. */
  async ok(step: string, args: Record<string, unknown> = {}, withinMs?: number): Promise<Record<string, unknown>> {
    const response = await this.request(step, args, withinMs);
    if (response.ok !== true) throw new Error(`${step} was not ok: ${JSON.stringify(response)}\nstderr: ${this.stderr}`);
    return response.result ?? {};
  }

  /** Sends a step and returns its error, failing when the driver answered ok. */
  async error(step: string, args: Record<string, unknown> = {}, withinMs?: number): Promise<Record<string, unknown>> {
    const response = await this.request(step, args, withinMs);
    if (response.ok !== false || response.error === undefined) throw new Error(`${step} did not fail: ${JSON.stringify(response)}`);
    return response.error;
  }

  /** Writes a raw line, for malformed input. */
  writeLine(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  /** Waits for the next response with the given id (`null` for unparseable requests). */
  async responseTo(id: number | null, withinMs: number, what: string): Promise<DriverResponse> {
    const deadline = performance.now() + withinMs;
    for (;;) {
      const index = this.responses.findIndex((response) => response.id === id);
      if (index >= 0) return this.responses.splice(index, 1)[0] as DriverResponse;
      const remaining = deadline - performance.now();
      if (remaining <= 0 || this.child.exitCode !== null) {
        throw new Error(`the driver did not answer ${what} (id ${id}) within ${withinMs} ms; stderr:\n${this.stderr}`);
      }
      await new Promise<void>((resolveWake) => {
        const timer = setTimeout(resolveWake, Math.min(remaining, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolveWake();
        });
      });
    }
  }

  /** Closes stdin and resolves with the exit code (`null` when it had to be killed). */
  async finish(withinMs = 10_000): Promise<number | null> {
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), withinMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
