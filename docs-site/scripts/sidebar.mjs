// Sidebars of the generated API references: each generator writes sidebar.json beside its pages and the
// site configuration reads it, so the navigation always lists exactly the pages that exist.
import fs from "node:fs";
import path from "node:path";

/**
 * Builds a sidebar group from an index page that lists its pages as `## Group` headings followed by
 * `- [Name](relative.md)` items (the shape TypeDoc's and Sphinx's index pages are written in).
 */
export function sidebarFromIndex(indexMarkdown, title, linkBase) {
  const groups = [];
  let current = null;
  for (const line of indexMarkdown.split("\n")) {
    const heading = /^##+ (.+)$/.exec(line);
    if (heading) {
      current = { text: heading[1].trim(), collapsed: true, items: [] };
      groups.push(current);
      continue;
    }
    const item = /^\s*[-*] \[([^\]]+)\]\(([^)]+)\.md\)/.exec(line);
    if (item && current) {
      current.items.push({ text: item[1].replace(/\\/g, ""), link: `${linkBase}/${item[2].replace(/^\.\//, "")}` });
    }
  }
  return {
    text: title,
    collapsed: true,
    items: [{ text: "Overview", link: `${linkBase}/` }, ...groups.filter((g) => g.items.length > 0)],
  };
}

export function writeSidebar(directory, sidebar) {
  fs.writeFileSync(path.join(directory, "sidebar.json"), JSON.stringify(sidebar, null, 2) + "\n");
}
