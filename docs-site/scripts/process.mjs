// Runs a command for a generator, failing loudly with the command line when it fails.
import { spawnSync } from "node:child_process";

/**
 * Runs `command` with `args` and returns its standard output. Standard error passes through so the
 * build log shows what went wrong; a non-zero exit throws with the command line and the exit code.
 */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, {
    encoding: "utf8",
    stdio: ["ignore", options.captureOutput === false ? "inherit" : "pipe", "inherit"],
    maxBuffer: 64 * 1024 * 1024,
    timeout: options.timeoutMs ?? 300_000,
    ...options,
  });
  if (result.error) {
    throw new Error(`${command} ${args.join(" ")} could not run: ${result.error.message}`);
  }
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited with code ${result.status}${result.signal ? ` (signal ${result.signal})` : ""}`);
  }
  return result.stdout ?? "";
}

/** Reads `--name value` options: every name in `required` must be given, those in `optional` may be. */
export function options(required, optional = [], argv = process.argv.slice(2)) {
  const names = [...required, ...optional];
  const values = {};
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]?.replace(/^--/, "");
    if (!names.includes(name ?? "") || i + 1 >= argv.length) {
      throw new Error(`unexpected argument ${argv[i]}; expected ${names.map((n) => `--${n} VALUE`).join(" ")}`);
    }
    values[name] = argv[++i];
  }
  for (const name of required) {
    if (values[name] === undefined) {
      throw new Error(`missing --${name}`);
    }
  }
  return values;
}

/** Runs a generator's main function and turns a thrown error into one readable line and exit code 1. */
export async function main(name, body) {
  try {
    await body();
  } catch (error) {
    console.error(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
