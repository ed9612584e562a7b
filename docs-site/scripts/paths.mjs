// Where things are: the site, its sources, the repository around it, and the generated fragments.
import { fileURLToPath } from "node:url";
import path from "node:path";

export const siteDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const repoRoot = path.resolve(siteDir, "..");
/** The sources of the site's current (main) version. */
export const docsDir = path.join(siteDir, "docs");
/** Generated Markdown fragments that hand-written pages include; never committed, never pages of their own. */
export const generatedDir = path.join(docsDir, "_generated");
/** Frozen versions: versions/<version>/ holds a complete copy of docs/ as it was at the freeze. */
export const versionsDir = path.join(siteDir, "versions");
export const versionsFile = path.join(siteDir, "versions.json");
/** Intermediate output of the generators (Sphinx JSON and the like). */
export const buildDir = path.join(siteDir, ".build");
export const distDir = path.join(siteDir, ".vitepress", "dist");
