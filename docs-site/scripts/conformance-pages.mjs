// Generates the conformance pages' data: the scenario list from conformance/scenarios/*.json (plus the
// raw protocol cases the runner lists), and the parity matrix from the newest conformance report in
// artifacts/conformance. When there is no report the matrix page says so; nothing is ever made up.
//
//   node scripts/conformance-pages.mjs --scenarios ../conformance/scenarios --reports ../artifacts/conformance
//       [--conformance path/to/sinew-conformance.dll] [--out DIR]
import fs from "node:fs";
import path from "node:path";
import { docsDir, generatedDir, repoRoot } from "./paths.mjs";
import { code, escapeText, slugify } from "./markdown.mjs";
import { main, options, run } from "./process.mjs";

/** Section number ("8.3") -> link target on the protocol page, from the page's own headings. */
function protocolSections() {
  const sections = new Map();
  const protocol = fs.readFileSync(path.join(docsDir, "reference", "protocol.md"), "utf8");
  for (const match of protocol.matchAll(/^#{2,3} ((\d+(?:\.\d+)?)\.? .+)$/gm)) {
    sections.set(match[2], `../reference/protocol.md#${slugify(match[1])}`);
  }
  return sections;
}

function specLinks(spec, sections) {
  return String(spec ?? "")
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part) => (sections.has(part) ? `[${part}](${sections.get(part)})` : escapeText(part)))
    .join(", ");
}

function readScenarioFiles(directory) {
  const files = fs.readdirSync(directory).filter((f) => f.endsWith(".json")).sort();
  if (files.length === 0) {
    throw new Error(`no scenario files in ${directory}`);
  }
  return files.map((file) => {
    const data = JSON.parse(fs.readFileSync(path.join(directory, file), "utf8"));
    if (!Array.isArray(data.scenarios) || typeof data.area !== "string") {
      throw new Error(`${file} is not a scenario file (expected "area" and "scenarios")`);
    }
    return { file, area: data.area, scenarios: data.scenarios };
  });
}

/** Raw cases come from the runner (`--list` prints every scenario and raw case, one per line). */
function rawCases(conformanceDll, scenarioIds) {
  if (!conformanceDll) {
    return [];
  }
  const listing = run("dotnet", [conformanceDll, "--list"]);
  return listing
    .split("\n")
    .map((line) => line.trimEnd())
    .filter((line) => line.length > 0)
    .map((line) => {
      const match = /^(\S+)\s+(.*)$/.exec(line);
      return match ? { id: match[1], title: match[2] } : null;
    })
    .filter((entry) => entry !== null && !scenarioIds.has(entry.id));
}

export function scenarioList(groups, raw, sections) {
  const total = groups.reduce((n, g) => n + g.scenarios.length, 0);
  const lines = [
    `The suite has **${total} scenarios** in ${groups.length} areas` +
      (raw.length > 0 ? ` and **${raw.length} raw protocol cases**.` : "."),
    "",
  ];
  for (const group of groups) {
    lines.push(`### ${escapeText(group.area)}`, "", `From ${code(`conformance/scenarios/${group.file}`)}.`, "");
    lines.push("| scenario | what it checks | spec |", "|---|---|---|");
    for (const scenario of group.scenarios) {
      lines.push(
        `| ${code(scenario.id)} | **${escapeText(scenario.title)}.** ${escapeText(scenario.description ?? "")} | ${specLinks(scenario.spec, sections)} |`,
      );
    }
    lines.push("");
  }
  if (raw.length > 0) {
    lines.push("### Raw protocol", "", "Written in C# in the runner; they talk to the broker directly, without a client.", "");
    lines.push("| case | what it checks |", "|---|---|");
    for (const entry of raw) {
      lines.push(`| ${code(entry.id)} | ${escapeText(entry.title)} |`);
    }
    lines.push("");
  }
  return lines.join("\n");
}

/** The newest report in `directory` (by modification time), or null when there is none. */
export function newestReport(directory) {
  if (!fs.existsSync(directory)) {
    return null;
  }
  const candidates = fs
    .readdirSync(directory)
    .filter((f) => f.endsWith(".json"))
    .map((f) => path.join(directory, f))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  for (const file of candidates) {
    const report = JSON.parse(fs.readFileSync(file, "utf8"));
    if (Array.isArray(report.results) && Array.isArray(report.clients) && typeof report.started_at === "string") {
      return { file, report };
    }
  }
  return null;
}

/**
 * A driver command or runner message as readers should see it: paths inside the repository relative to
 * its root, and an absolute program path reduced to the program's name, so a report written on one
 * machine reads the same anywhere.
 */
export function portable(text) {
  return String(text)
    .split(repoRoot + path.sep)
    .join("")
    .replace(/(^|\s)\/(?:[^\s/]+\/)+([^\s/]+)(?=\s|$)/g, "$1$2");
}

// Outcomes read as words (coloured by the theme's .outcome-* styles), so they need no emoji font.
const outcomeLabels = Object.fromEntries(
  Object.entries({ passed: "pass", failed: "fail", missing: "missing", not_implemented: "not implemented", not_applicable: "n/a" }).map(([outcome, label]) => [
    outcome,
    `<span class="outcome outcome-${outcome.replace("_", "-")}">${label}</span>`,
  ]),
);

export function parityMatrix(found, sections, shownPath) {
  if (found === null) {
    return [
      "::: warning No conformance run",
      `No conformance run has been recorded for this build of the documentation: ${code(shownPath)} holds no report,`,
      "so there is no parity matrix to show. Run the suite with `dotnet cake --target=Conformance` (or",
      "`sinew-conformance --report artifacts/conformance`) and build the documentation again.",
      ":::",
      "",
    ].join("\n");
  }
  const { report } = found;
  const clients = [...new Set([...report.clients.map((c) => c.name), ...report.results.map((r) => r.client)])];
  const passed = report.gate_problems.length === 0;
  const lines = [
    passed ? "::: tip Parity gate passed" : "::: danger Parity gate failed",
    `Run started ${escapeText(report.started_at)} against ${escapeText(report.broker)}: ` +
      (passed ? "the parity gate **passed**." : `the parity gate **failed** with ${report.gate_problems.length} problem(s).`),
    ":::",
    "",
    "| client | version | driver |",
    "|---|---|---|",
    ...report.clients.map((c) => `| ${escapeText(c.name)} | ${escapeText(c.version)} | ${code(portable(c.driver))} |`),
    "",
  ];
  if (!passed) {
    lines.push("Gate problems:", "", ...report.gate_problems.map((p) => `- ${escapeText(portable(p))}`), "");
  }
  const totals = clients.map((client) => {
    const mine = report.results.filter((r) => r.client === client);
    return `${client}: ${mine.filter((r) => r.outcome === "passed").length} of ${mine.length} passed`;
  });
  lines.push(`Totals — ${totals.map(escapeText).join("; ")}.`, "");

  const areas = new Map();
  for (const result of report.results) {
    if (!areas.has(result.area)) areas.set(result.area, new Map());
    const scenarios = areas.get(result.area);
    if (!scenarios.has(result.id)) scenarios.set(result.id, { first: result, byClient: new Map() });
    scenarios.get(result.id).byClient.set(result.client, result);
  }
  for (const [area, scenarios] of areas) {
    // Only the clients that ran something in this area get a column (raw cases have a client of their own).
    const columns = clients.filter((client) => [...scenarios.values()].some((s) => s.byClient.has(client)));
    lines.push(`### ${escapeText(area)}`, "");
    lines.push(`| scenario | spec | ${columns.map(escapeText).join(" | ")} |`, `|---|---|${columns.map(() => "---").join("|")}|`);
    for (const [id, { first, byClient }] of scenarios) {
      const cells = columns.map((client) => {
        const result = byClient.get(client);
        return result ? outcomeLabels[result.outcome] ?? escapeText(result.outcome) : "";
      });
      lines.push(`| ${code(id)}<br>${escapeText(first.title)} | ${specLinks(first.spec, sections)} | ${cells.join(" | ")} |`);
    }
    lines.push("");
  }
  if (report.coverage && Object.keys(report.coverage).length > 0) {
    // The evidence behind "every op is covered": the passing runs that pin an op and showed its frame on the wire.
    lines.push("### Ops seen on the wire", "");
    if (!report.coverage_checked) lines.push("Only part of the suite ran, so coverage of every op was not checked.", "");
    lines.push("| op | passing runs that showed it |", "|---|---|");
    for (const op of Object.keys(report.coverage).sort()) {
      const runs = report.coverage[op];
      const shown = runs.slice(0, 4).map((r) => escapeText(r)).join(", ") + (runs.length > 4 ? ", …" : "");
      lines.push(`| ${code(op)} | ${runs.length}: ${shown} |`);
    }
    lines.push("");
  }
  const notes = report.results.filter((r) => r.outcome !== "passed" && r.message);
  if (notes.length > 0) {
    lines.push("### Why", "", "What the runner said for every result that did not pass:", "");
    for (const r of notes) {
      lines.push(`- ${code(r.id)} (${escapeText(r.client)}, ${escapeText(r.outcome)}): ${escapeText(portable(r.message.split("\n")[0]))}`);
    }
    lines.push("");
  }
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main("conformance-pages", () => {
    const args = options(["scenarios", "reports"], ["conformance", "out"]);
    const out = args.out ?? generatedDir;
    const sections = protocolSections();
    const groups = readScenarioFiles(args.scenarios);
    const ids = new Set(groups.flatMap((g) => g.scenarios.map((s) => s.id)));
    const raw = rawCases(args.conformance, ids);
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, "conformance-scenarios.md"), scenarioList(groups, raw, sections));
    const found = newestReport(args.reports);
    const shown = path.relative(path.resolve(docsDir, "..", ".."), path.resolve(args.reports)) || args.reports;
    fs.writeFileSync(path.join(out, "conformance-parity.md"), parityMatrix(found, sections, shown));
    console.log(
      `conformance-pages: ${ids.size} scenarios, ${raw.length} raw cases; parity matrix ` +
        (found ? `from ${found.file} (${found.report.results.length} results)` : "not available: no report in " + args.reports),
    );
  });
}
