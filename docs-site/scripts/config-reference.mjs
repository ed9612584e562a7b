// Generates the broker configuration reference from the broker itself: `sinew-broker config reference`
// prints it as Markdown from the configuration schema, so the page can never drift from the code.
//
//   node scripts/config-reference.mjs --broker path/to/sinew-broker.dll
import fs from "node:fs";
import path from "node:path";
import { generatedDir } from "./paths.mjs";
import { main, options, run } from "./process.mjs";

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
    fs.mkdirSync(generatedDir, { recursive: true });
    const file = path.join(generatedDir, "config-reference.md");
    fs.writeFileSync(file, markdown);
    const settings = markdown.split("\n").filter((l) => l.startsWith("| `")).length;
    console.log(`config-reference: ${settings} settings -> ${path.relative(process.cwd(), file)}`);
  });
}
