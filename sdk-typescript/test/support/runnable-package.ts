// A runnable copy of the package for tests that need a separate Node.js process: the sources
// transpiled to JavaScript as node_modules/@sinew/client in a fresh temporary directory, with
// the conformance driver, next to a link to the real @msgpack/msgpack, so scripts there import
// "@sinew/client" by name.

import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** A temporary directory holding the transpiled package. */
export interface RunnablePackage {
  /** The directory; scripts written here resolve `@sinew/client`. */
  readonly root: string;
  /** Deletes the directory. */
  remove(): void;
}

function* typeScriptFiles(directory: string): Generator<string> {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) yield* typeScriptFiles(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

/** Transpiles `src/` into a fresh temporary directory laid out as an installed package. */
export function buildRunnablePackage(): RunnablePackage {
  const root = mkdtempSync(join(tmpdir(), "sinew-client-run-"));
  const installed = join(root, "node_modules", "@sinew", "client");
  const sourceRoot = join(packageRoot, "src");
  for (const file of typeScriptFiles(sourceRoot)) {
    const output = ts.transpileModule(readFileSync(file, "utf8"), {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    const target = join(installed, "dist", relative(sourceRoot, file)).replace(/\.ts$/, ".js");
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, output.outputText);
  }
  // The package's own name, exports and bin, so the copy resolves "@sinew/client" (also from
  // inside itself, as the conformance driver does) and runs its bin like an installed package.
  const manifest = JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as Record<string, unknown>;
  writeFileSync(
    join(installed, "package.json"),
    JSON.stringify({ name: manifest["name"], version: manifest["version"], type: "module", exports: { ".": "./dist/index.js", "./wire": "./dist/wire/index.js" }, bin: manifest["bin"] }),
  );
  mkdirSync(join(installed, "conformance"));
  for (const script of ["driver.mjs", "catalogue-steps.mjs"]) {
    copyFileSync(join(packageRoot, "conformance", script), join(installed, "conformance", script));
  }
  symlinkSync(join(packageRoot, "node_modules", "@msgpack"), join(root, "node_modules", "@msgpack"), "dir");
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}
