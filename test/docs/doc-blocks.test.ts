import { test } from "node:test";
import assert from "node:assert/strict";
import { fencedBlocks, isShellListing, kmemArguments, listedCommands, promptedCommands } from "./doc-blocks.js";
import { normalise } from "./normalise.js";

const DOC = [
  "Intro.",
  "",
  "```",
  "$ kmem translate 0xC0100000 --write   # exit status 1",
  "0xC0100000: page fault",
  "  CR2 0xC0100000",
  "$ npx kmem boot",
  "Boot time:       19.6 ms (self-check 4.4 ms)",
  "```",
  "",
  "<!-- doc-test: not run: npm test -->",
  "```sh",
  "npm test                # everything",
  "kmem boot --json        # JSON",
  "```",
  "",
  "```json",
  "{}",
  "```",
].join("\n");

test("a prompted block yields each command, its exit status note and the exact lines it shows", () => {
  const [block] = fencedBlocks("doc.md", DOC);
  assert.ok(block !== undefined, "the first block is found");
  assert.deepEqual(promptedCommands(block), [
    { file: "doc.md", line: 4, command: "kmem translate 0xC0100000 --write", status: 1, output: "0xC0100000: page fault\n  CR2 0xC0100000\n" },
    { file: "doc.md", line: 7, command: "npx kmem boot", status: 0, output: "Boot time:       19.6 ms (self-check 4.4 ms)\n" },
  ]);
});

test("a shell listing yields its command lines without comments, and the markers above it", () => {
  const blocks = fencedBlocks("doc.md", DOC);
  const listing = blocks[1];
  assert.ok(listing !== undefined && isShellListing(listing), "the sh block is a listing");
  assert.deepEqual(listing.markers, ["not run: npm test"]);
  assert.deepEqual(listedCommands(listing).map((c) => [c.line, c.command]), [[13, "npm test"], [14, "kmem boot --json"]]);
  assert.deepEqual(blocks[2]?.markers, [], "a marker applies only to the block right below it");
  assert.equal(isShellListing(blocks[0] ?? listing), false, "an untagged block is not a listing");
});

test("only kmem and npx kmem commands are run as kmem", () => {
  assert.deepEqual(kmemArguments("npx kmem view --port 0"), ["view", "--port", "0"]);
  assert.deepEqual(kmemArguments("kmem boot"), ["boot"]);
  assert.equal(kmemArguments("npm test"), null);
});

test("an unclosed fence is an error naming its line", () => {
  assert.throws(() => fencedBlocks("doc.md", "text\n```sh\nkmem boot\n"), /doc\.md:2: the fenced block is never closed/);
});

test("normalising hides timings only: a drifted address or count still differs", () => {
  const shown = "Boot time:       19.6 ms (self-check 4.4 ms)\nPage tables:     1 (4 KiB)\n";
  assert.equal(normalise("Boot time:       8 ms (self-check 1.25 ms)\nPage tables:     1 (4 KiB)\n"), normalise(shown));
  assert.notEqual(normalise("Boot time:       8 ms (self-check 1.25 ms)\nPage tables:     2 (8 KiB)\n"), normalise(shown));
  assert.notEqual(normalise("0xC0100010 -> 0x00100011"), normalise("0xC0100010 -> 0x00100010"));
});
