// Running a Node.js script in a child process with a time bound, capturing its output.

import { spawn } from "node:child_process";

/** How a child process ended. */
export interface ChildOutcome {
  /** The exit code, or `null` when it was killed. */
  readonly code: number | null;
  /** Whether it was killed for running past the bound. */
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node <script>`, killing it if it has not exited within `boundMs`. */
export function runNode(script: string, options: { cwd: string; env?: NodeJS.ProcessEnv; boundMs: number }): Promise<ChildOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.boundMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, timedOut, stdout, stderr });
    });
  });
}
