// Writes the generated overlay files next to this script. Run after editing overlay.ts.
import * as fs from "node:fs";
import * as path from "node:path";
import { kfpOverlayFiles } from "./overlay";

for (const [rel, content] of Object.entries(kfpOverlayFiles())) {
    const file = path.join(__dirname, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
}
