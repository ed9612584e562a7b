// Freezes the current documentation as a version: copies docs/ (with its generated pages, which must
// exist, so run the Docs build target first) into versions/<version>/ and lists the version in
// versions.json. The site then serves it under /<version>/ and the version picker offers it.
//
//   node scripts/freeze-version.mjs 0.1
//
// A frozen version must not change when the repository does, so everything a page pulls in from
// outside its own folder is copied in: included files (generated fragments, the changelog, the
// wire-vector README) are inlined into the pages that include them, and the code samples the pages
// include with `<<< @/snippets/...` are copied beside them.
import fs from "node:fs";
import path from "node:path";
import { docsDir, generatedDir, versionsDir, versionsFile } from "./paths.mjs";
import { main } from "./process.mjs";

const includePattern = /<!--\s*@include:\s*([^\s]+?)\s*-->/g;
const snippetPattern = /^<<<\s+@\/(\S+?)(?:#[\w-]+)?(?:\{[^}]*\})?(?:\s+\[[^\]]*\])?\s*$/gm;

/** Replaces every include directive in `text` (read from `file`) with the included file, recursively. */
export function inlineIncludes(text, file, depth = 0) {
  if (depth > 8) {
    throw new Error(`${file}: includes nested more than 8 deep`);
  }
  return text.replace(includePattern, (_, target) => {
    if (/[{#]/.test(target)) {
      throw new Error(`${file}: partial includes (${target}) are not supported by the freeze`);
    }
    const included = path.resolve(path.dirname(file), target);
    if (!fs.existsSync(included)) {
      throw new Error(`${file} includes ${target}, which does not exist (run the Docs build target first)`);
    }
    return inlineIncludes(fs.readFileSync(included, "utf8"), included, depth + 1).trimEnd();
  });
}

function copyTree(from, to, snippets) {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (source === generatedDir || source === path.join(docsDir, "snippets")) {
      continue;
    }
    if (entry.isDirectory()) {
      copyTree(source, target, snippets);
    } else if (entry.name.endsWith(".md")) {
      if (entry.name.startsWith("_")) {
        // Fragments only exist to be included, and every include is inlined.
        continue;
      }
      const text = inlineIncludes(fs.readFileSync(source, "utf8"), source);
      for (const match of text.matchAll(snippetPattern)) {
        snippets.add(match[1]);
      }
      fs.mkdirSync(to, { recursive: true });
      fs.writeFileSync(target, text);
    } else {
      fs.mkdirSync(to, { recursive: true });
      fs.copyFileSync(source, target);
    }
  }
}

await main("freeze-version", () => {
  const version = process.argv[2];
  if (!version || process.argv.length > 3 || !/^\d+(\.\d+){1,2}$/.test(version)) {
    throw new Error("usage: node scripts/freeze-version.mjs <version>, e.g. 0.1");
  }
  const target = path.join(versionsDir, version);
  if (fs.existsSync(target)) {
    throw new Error(`version ${version} is already frozen in ${path.relative(process.cwd(), target)}`);
  }
  for (const required of ["api/csharp/index.md", "api/typescript/index.md", "api/python/index.md"]) {
    if (!fs.existsSync(path.join(docsDir, required))) {
      throw new Error(`docs/${required} is missing: generate the pages first (dotnet cake --target=Docs)`);
    }
  }

  const snippets = new Set();
  try {
    copyTree(docsDir, target, snippets);
    for (const snippet of snippets) {
      const source = path.join(docsDir, snippet);
      if (!fs.existsSync(source)) {
        throw new Error(`a page includes @/${snippet}, which does not exist`);
      }
      fs.mkdirSync(path.dirname(path.join(target, snippet)), { recursive: true });
      fs.copyFileSync(source, path.join(target, snippet));
    }
  } catch (error) {
    fs.rmSync(target, { recursive: true, force: true });
    throw error;
  }

  const data = JSON.parse(fs.readFileSync(versionsFile, "utf8"));
  data.versions.push({ version, frozen: new Date().toISOString().slice(0, 10) });
  // Newest first, as the version picker lists them.
  data.versions.sort((a, b) => b.version.localeCompare(a.version, "en", { numeric: true }));
  fs.writeFileSync(versionsFile, JSON.stringify(data, null, 2) + "\n");
  const pages = fs.readdirSync(target, { recursive: true }).filter((f) => String(f).endsWith(".md")).length;
  console.log(`freeze-version: ${version} frozen with ${pages} pages and ${snippets.size} snippet files in ${path.relative(process.cwd(), target)}`);
});
