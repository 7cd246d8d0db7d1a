import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Generous: the quick suite targets < 30 s on 2 cores; this only guards against a hang. */
const TIMEOUT_MS = 120_000;

const EXPECTED_SECTIONS = ["meta", "targets", "mixed", "scaling", "churn", "churnBuddy", "mmu", "boot", "memory", "addressTypes", "extent", "frameChurn", "replay", "processes"];

test("bench --quick completes and writes JSON with every section", { timeout: TIMEOUT_MS }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "kmem-bench-"));
  try {
    const out = join(dir, "results.json");
    await run(process.execPath, ["--import", "tsx", "bench/run.ts", "--quick", "--out", out], { timeout: TIMEOUT_MS });
    const results: unknown = JSON.parse(await readFile(out, "utf8"));
    assert.ok(typeof results === "object" && results !== null, "the results file holds an object");
    for (const key of EXPECTED_SECTIONS) {
      assert.ok(key in results, `missing section ${key}`);
    }
    const { meta, mixed } = results as { meta: { mode: string }; mixed: { results: Record<string, unknown> } };
    assert.equal(meta.mode, "quick");
    assert.ok("seed" in mixed.results && "kmem" in mixed.results, "the mixed workload measured both the seed and kmem");
    const { extent } = results as { extent: { sameAddresses: boolean } };
    assert.equal(extent.sameAddresses, true, "the bitmap and the extent tree returned the same blocks");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
