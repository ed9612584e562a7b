// Builds the site: the current docs at the root, then every frozen version listed in versions.json
// under /<version>/. The current docs are built first because that build empties the output
// directory, which the versions' builds then add to.
//
//   node scripts/build-site.mjs
import fs from "node:fs";
import path from "node:path";
import { distDir, siteDir, versionsFile } from "./paths.mjs";
import { main, run } from "./process.mjs";

await main("build-site", () => {
  const { versions } = JSON.parse(fs.readFileSync(versionsFile, "utf8"));
  const vitepress = path.join(siteDir, "node_modules", "vitepress", "bin", "vitepress.js");
  if (!fs.existsSync(vitepress)) {
    throw new Error("VitePress is not installed; run `npm ci` in docs-site first");
  }
  for (const version of ["main", ...versions.map((v) => v.version)]) {
    const started = Date.now();
    console.log(`build-site: building ${version}`);
    run(process.execPath, [vitepress, "build"], {
      cwd: siteDir,
      env: { ...process.env, SINEW_DOCS_VERSION: version },
      captureOutput: false,
      timeoutMs: 600_000,
    });
    console.log(`build-site: ${version} built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  const pages = fs.readdirSync(distDir, { recursive: true }).filter((f) => String(f).endsWith(".html")).length;
  console.log(`build-site: ${pages} pages in ${path.relative(process.cwd(), distDir)}`);
});
