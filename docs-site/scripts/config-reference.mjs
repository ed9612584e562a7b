// Generates the broker configuration reference from the broker itself: `sinew-broker config reference`
// prints it as Markdown from the configuration schema, so the page can never drift from the code.
//
//   node scripts/config-reference.mjs --broker path/to/sinew-broker.dll
import fs from "node:fs";
import path from "node:path";
import { generatedDir } from "./paths.mjs";
import { main, options, run } from "./process.mjs";

/**
 * Escapes the pipes inside the "type" cell of a settings row. A setting with a fixed set of values has
 * the type "discard | global", and the broker prints it into the table as is, which would split the
 * row into extra cells. The other cells are known: the key, the default and the environment variable
 * are code spans, and the environment variable always reads `SINEW_...`, so everything between the key
 * and the default is the type and everything after the variable is the meaning.
 */
export function repairRow(line) {
  if (!line.startsWith("| `")) {
    return line;
  }
  const cells = line.slice(1, line.endsWith("|") ? -1 : undefined).split("|").map((cell) => cell.trim());
  if (cells.length <= 5) {
    return line;
  }
  const env = cells.findIndex((cell) => /^`SINEW_[A-Z0-9_]+`$/.test(cell));
  if (env < 3) {
    throw new Error(`cannot read the settings row: ${line}`);
  }
  const type = cells.slice(1, env - 1).join(" \\| ");
  const meaning = cells.slice(env + 1).join(" \\| ");
  return `| ${cells[0]} | ${type} | ${cells[env - 1]} | ${cells[env]} | ${meaning} |`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main("config-reference", () => {
    const { broker } = options(["broker"]);
    if (!fs.existsSync(broker)) {
      throw new Error(`${broker} does not exist; build the broker first (dotnet cake --target=Build)`);
    }
    const markdown = run("dotnet", [broker, "config", "reference"]);
    if (!markdown.includes("## [")) {
      throw new Error("`sinew-broker config reference` printed no settings table");
    }
    const repaired = markdown.split("\n").map(repairRow).join("\n");
    fs.mkdirSync(generatedDir, { recursive: true });
    const file = path.join(generatedDir, "config-reference.md");
    fs.writeFileSync(file, repaired);
    const settings = repaired.split("\n").filter((l) => l.startsWith("| `")).length;
    console.log(`config-reference: ${settings} settings -> ${path.relative(process.cwd(), file)}`);
  });
}
