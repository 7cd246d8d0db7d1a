// Child process of dump-rss.test.ts: inspects the dump named by argv and prints its leaf count and peak RSS.
import { inspectTables } from "../../src/inspect/inspect.js";
import { openDump } from "../../src/node/dump-file.js";

const [path = "", cr3 = ""] = process.argv.slice(2);
const dump = openDump(path, { mode: "x86-64", cr3: Number(cr3) });
try {
  const result = inspectTables(dump.memory, dump.target, { audit: true });
  process.stdout.write(JSON.stringify({ leaves: result.leaves.length, findings: result.findings.length, misses: dump.memory.misses, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
} finally {
  dump.close();
}
