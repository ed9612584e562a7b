// The site configuration. One configuration builds every version of the site: the current docs (docs/,
// served at the root) and each frozen version (versions/<version>/, served under /<version>/). Which one
// is built is chosen by SINEW_DOCS_VERSION; scripts/build-site.mjs builds them all in turn. Each version's
// navigation lives with its pages (navigation.json), so a frozen version keeps the structure it had.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, type DefaultTheme, type UserConfig } from "vitepress";

type MarkdownIt = Parameters<NonNullable<NonNullable<UserConfig["markdown"]>["config"]>>[0];

const siteDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const version = process.env.SINEW_DOCS_VERSION || "main";
/** Where the whole site (main and its versions) is served; "/" unless deployed under a sub-path. */
const rootBase = normaliseBase(process.env.SINEW_DOCS_BASE || "/");
const versions: { version: string; frozen: string }[] = JSON.parse(fs.readFileSync(path.join(siteDir, "versions.json"), "utf8")).versions;

if (version !== "main" && !versions.some((v) => v.version === version)) {
  throw new Error(`SINEW_DOCS_VERSION=${version} is not listed in versions.json`);
}

const srcDir = version === "main" ? "docs" : path.join("versions", version);
const base = version === "main" ? rootBase : `${rootBase}${version}/`;

function normaliseBase(value: string): string {
  return ("/" + value + "/").replace(/\/{2,}/g, "/");
}

interface Navigation {
  nav: DefaultTheme.NavItem[];
  sidebar: DefaultTheme.SidebarItem[];
}

const navigation: Navigation = JSON.parse(fs.readFileSync(path.join(siteDir, srcDir, "navigation.json"), "utf8"));

/** The generated API references each write sidebar.json beside their pages. */
function apiSidebar(): DefaultTheme.SidebarItem[] {
  const groups: DefaultTheme.SidebarItem[] = [{ text: "API reference", items: [{ text: "Overview", link: "/api/" }] }];
  for (const language of ["csharp", "typescript", "python"]) {
    const file = path.join(siteDir, srcDir, "api", language, "sidebar.json");
    if (fs.existsSync(file)) {
      groups.push(JSON.parse(fs.readFileSync(file, "utf8")));
    }
  }
  return groups;
}

/**
 * Pages include files from elsewhere in the repository (the wire-vector README), whose links are written
 * relative to the repository. A link into docs-site/docs/ is rewritten to the page it names, so it works
 * on the site as it does when the file is read in the repository.
 */
function repositoryLinks(md: MarkdownIt): void {
  md.core.ruler.push("sinew-repository-links", (state) => {
    for (const token of state.tokens) {
      for (const child of token.children ?? []) {
        const href = child.type === "link_open" ? child.attrGet("href") : null;
        const match = href ? /^(?:\.\.\/)+docs-site\/docs\/(.+)$/.exec(href) : null;
        if (match) {
          child.attrSet("href", "/" + match[1]);
        }
      }
    }
  });
}

export default defineConfig({
  title: "Sinew",
  description: "Sinew: a durable message broker with C#, TypeScript and Python clients.",
  lang: "en-GB",
  srcDir,
  base,
  outDir: version === "main" ? ".vitepress/dist" : `.vitepress/dist/${version}`,
  cacheDir: `.vitepress/cache/${version}`,
  cleanUrls: true,
  head: [["link", { rel: "icon", type: "image/svg+xml", href: `${base}favicon.svg` }]],
  // Generated fragments are included into pages, and snippets are code; neither is a page of its own.
  srcExclude: ["_generated/**", "snippets/**", "**/_*.md"],
  markdown: {
    config: repositoryLinks,
    // Code from the snippets and references is in C#, TypeScript, Python, JSON and shell; anything else
    // falls back to plain text instead of failing the build.
    defaultHighlightLang: "text",
  },
  themeConfig: {
    logo: "/favicon.svg",
    nav: navigation.nav,
    sidebar: {
      "/api/": apiSidebar(),
      "/": navigation.sidebar,
    },
    outline: [2, 3],
    search: { provider: "local" },
    footer: { message: "Released under the MIT license." },
    docFooter: { prev: "Previous", next: "Next" },
    // Read by the version picker and the version banner (theme/).
    sinew: {
      version,
      rootBase,
      versions: [{ version: "main", link: rootBase }, ...versions.map((v) => ({ version: v.version, link: `${rootBase}${v.version}/` }))],
    },
  } as DefaultTheme.Config & { sinew: unknown },
});
