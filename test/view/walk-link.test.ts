import { test } from "node:test";
import assert from "node:assert/strict";
import { parseWalkLink, walkLinkOf } from "../../view/walk-link.js";

test("#walk=ADDRESS&user&write names the address and the access", () => {
  assert.deepEqual(parseWalkLink("#walk=0xC0100010&user&write"), { vaddr: 0xc0100010, access: { user: true, write: true, fetch: false } });
  assert.deepEqual(parseWalkLink("#walk=4096"), { vaddr: 4096, access: { user: false, write: false, fetch: false } });
  assert.deepEqual(parseWalkLink("#walk=0xc0100010&fetch"), { vaddr: 0xc0100010, access: { user: false, write: false, fetch: true } });
});

test("a fragment without a walk (empty, or another mode's) names none", () => {
  assert.equal(parseWalkLink(""), null);
  assert.equal(parseWalkLink("#quiz=translate&seed=42"), null);
});

test("a bad address or flag is an error naming it", () => {
  assert.throws(() => parseWalkLink("#walk=0xZZ"), /"0xZZ" is not a number/);
  assert.throws(() => parseWalkLink("#walk=0x100000000"), /0x100000000 is beyond 4 GiB/);
  assert.throws(() => parseWalkLink("#walk=0x1000&kernel"), /flag "kernel" is not one of user, write, fetch/);
});

test("walkLinkOf is parseWalkLink's inverse", () => {
  for (const hash of ["#walk=0xC0100010", "#walk=0x00001000&user", "#walk=0xFFFFF000&user&write&fetch"]) {
    const link = parseWalkLink(hash);
    assert.ok(link !== null, `${hash} parses`);
    assert.equal(walkLinkOf(link), hash);
  }
});
