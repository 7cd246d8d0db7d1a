import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { BitmapError } from "../src/errors/bitmap-error.js";
import { VmmError } from "../src/errors/vmm-error.js";
import { PhysicalMemoryManager } from "../src/pmm.js";
import { BLOCK_SIZE, type Attributes } from "../src/types.js";
import { VirtualMemoryManager } from "../src/vmm.js";
import { RecordingMapper } from "./helpers/recording-mapper.js";

/** The seed's test mapper checks that every call carries this payload. */
const SEED_PAYLOAD = 39;
const NUM_ENTRIES = 512;
const ATTRS: Attributes = { kernel: true, writable: true, cachable: true };

/** The seed's `testInit`: a PMM of `NUM_ENTRIES` blocks and a VMM of as many blocks from `start`. */
function seedInit(start: number) {
  const pmm = new PhysicalMemoryManager({ memoryBytes: NUM_ENTRIES * BLOCK_SIZE });
  const mapper = new RecordingMapper({ payload: SEED_PAYLOAD });
  const vmm = new VirtualMemoryManager({ start, end: start + NUM_ENTRIES * BLOCK_SIZE, pmm, mapper, payload: SEED_PAYLOAD });
  return { pmm, mapper, vmm };
}

/** The seed's allocation-size pattern, growing with the number of entries done so far. */
function numToAlloc(entry: number): number {
  if (entry > 400) return 8;
  if (entry > 320) return 14;
  if (entry > 270) return 9;
  if (entry > 150) return 26;
  return 1;
}

describe("the seed's tests", () => {
  for (const start of [0, BLOCK_SIZE]) {
    test(`alloc and free on a VMM starting at ${start} (start != 0 was a seed defect)`, () => {
      const { pmm, mapper, vmm } = seedInit(start);
      const virtualAllocations: number[] = [];
      let entry = 0;
      let nulls = 0;
      while (entry < NUM_ENTRIES) {
        const count = numToAlloc(entry);
        const result = vmm.alloc(count, ATTRS);
        const shouldBeSet = entry + count <= NUM_ENTRIES;
        if (shouldBeSet) {
          assert.equal(result, vmm.start + entry * BLOCK_SIZE);
          virtualAllocations.push(result!);
        } else {
          assert.equal(result, null);
          nulls++;
        }
        for (let block = entry; block < entry + count; block++) {
          const vaddr = vmm.start + block * BLOCK_SIZE;
          if (shouldBeSet) {
            assert.equal(vmm.isSet(vaddr), true);
            assert.equal(mapper.isMapped(vaddr), true);
          } else if (block >= NUM_ENTRIES) {
            // Beyond the VMM's end the seed expects OutOfBounds from the bitmap.
            assert.throws(() => vmm.isSet(vaddr), (error: unknown) => error instanceof BitmapError && error.code === "OutOfBounds");
            assert.equal(mapper.isMapped(vaddr), false);
          } else {
            assert.equal(vmm.isSet(vaddr), false);
            assert.equal(mapper.isMapped(vaddr), false);
          }
        }
        entry += count;
        for (let later = entry; later < NUM_ENTRIES; later++) {
          assert.equal(vmm.isSet(vmm.start + later * BLOCK_SIZE), false);
          assert.equal(pmm.isSet(later * BLOCK_SIZE), false);
        }
      }
      assert.equal(nulls, 1);
      assert.equal(virtualAllocations.length, 151 + 5 + 5 + 6 + 12);

      const byStart = new Map(vmm.allocations().map((allocation) => [allocation.virtual.start, allocation]));
      for (const address of virtualAllocations) {
        const allocation = byStart.get(address);
        assert.ok(allocation !== undefined, `the allocation at 0x${address.toString(16)} is listed`);
        const physical = [...allocation.physical];
        for (const block of physical) assert.equal(pmm.isSet(block), true);
        vmm.free(address);
        assert.equal(vmm.allocations().some((a) => a.virtual.start === address), false);
        assert.equal(vmm.isSet(address), false);
        for (const block of physical) assert.equal(pmm.isSet(block), false);
      }
      assert.equal(pmm.blocksFree(), NUM_ENTRIES);
      assert.equal(vmm.blocksUsed, 0);
      assert.deepEqual(mapper.snapshot(), []);
    });
  }

  const vstart = BLOCK_SIZE * 37;
  const vend = BLOCK_SIZE * 46;

  test("set with the seed's misaligned physical range (vstart + 123) is rejected with InvalidPhysAddresses and changes nothing", () => {
    const { pmm, mapper, vmm } = seedInit(0);
    assert.throws(() => vmm.set({ start: vstart, end: vend }, { start: vstart + 123, end: vend + 123 }, ATTRS), (error: unknown) => {
      assert.ok(error instanceof VmmError, `a VmmError, got ${String(error)}`);
      assert.equal(error.code, "InvalidPhysAddresses");
      assert.match(error.message, /0x0002507B/);
      return true;
    });
    assert.equal(vmm.blocksUsed, 0);
    assert.equal(pmm.blocksUsed(), 0);
    assert.equal(mapper.calls.length, 0);
  });

  test("set with the aligned equivalent marks exactly blocks 37..45 in the recording mapper", () => {
    const { pmm, mapper, vmm } = seedInit(0);
    const pstart = vstart + 123 * BLOCK_SIZE;
    const pend = vend + 123 * BLOCK_SIZE;
    vmm.set({ start: vstart, end: vend }, { start: pstart, end: pend }, ATTRS);
    for (let vaddr = vmm.start; vaddr < vmm.end; vaddr += BLOCK_SIZE) {
      const inside = vaddr >= vstart && vaddr < vend;
      assert.equal(mapper.isMapped(vaddr), inside, `mapper at ${vaddr}`);
      assert.equal(vmm.isSet(vaddr), inside, `vmm at ${vaddr}`);
    }
    for (let paddr = 0; paddr < NUM_ENTRIES * BLOCK_SIZE; paddr += BLOCK_SIZE) {
      assert.equal(pmm.isSet(paddr), paddr >= pstart && paddr < pend, `pmm at ${paddr}`);
    }
    assert.equal(mapper.page(vstart)?.phys, pstart);
  });
});
