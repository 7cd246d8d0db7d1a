import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { boot } from "../../src/boot/boot.js";
import { DEFAULT_PROFILE } from "../../src/boot/default-profile.js";
import { ProcessError } from "../../src/errors/process-error.js";
import { ReplacementError } from "../../src/errors/replacement-error.js";
import { AddressSpace } from "../../src/process/address-space.js";
import { kernelHalfOf } from "../../src/process/kernel-half.js";
import { SwapDevice } from "../../src/process/swap.js";
import { SwapPool } from "../../src/process/swap-pool.js";
import { NOT_UNSIGNED } from "../helpers/hostile.js";

const RW = { kernel: false, writable: true, cachable: true };
const BASE = 0x1000_0000;

/** A space with one demand-paged region of 4 pages at BASE, one page touched. */
function setup(): { machine: ReturnType<typeof boot>; space: AddressSpace<number> } {
  const machine = boot(DEFAULT_PROFILE);
  const space = AddressSpace.create(kernelHalfOf(machine));
  space.reserveLazy(BASE, 4, RW, { label: "heap" });
  space.write(BASE, new Uint8Array([1]));
  return { machine, space };
}

/** Runs `action`, expects a ProcessError `code` whose message shows the value, and checks nothing changed. */
function refuses(machine: ReturnType<typeof boot>, space: AddressSpace<number>, action: () => unknown, code: string, shown: RegExp, what: string): void {
  const free = machine.pmm.blocksFree();
  const regions = JSON.stringify(space.regions());
  assert.throws(action, (e: unknown) => e instanceof ProcessError && e.code === code && shown.test(e.message), what);
  assert.equal(machine.pmm.blocksFree(), free, `${what}: no frame taken or freed`);
  assert.equal(JSON.stringify(space.regions()), regions, `${what}: the regions are unchanged`);
}

describe("the address space refuses values that are not addresses or counts, and changes nothing", () => {
  for (const [value, shown] of NOT_UNSIGNED) {
    const label = typeof value === "symbol" ? "a symbol" : typeof value === "bigint" ? `${value}n` : JSON.stringify(value) ?? String(value);
    test(`${label}`, () => {
      const { machine, space } = setup();
      const v = value as number;
      refuses(machine, space, () => space.map(v, RW), "InvalidRange", shown, "map count");
      if (value !== undefined) refuses(machine, space, () => space.map(1, RW, { at: v }), "InvalidRange", shown, "map at");
      refuses(machine, space, () => space.reserve(v, 1), "InvalidRange", shown, "reserve at");
      refuses(machine, space, () => space.reserveLazy(BASE + 0x10_0000, v, RW), "InvalidRange", shown, "reserveLazy count");
      refuses(machine, space, () => space.protect(v, BASE + 0x1000, RW), "InvalidRange", shown, "protect start");
      refuses(machine, space, () => space.unmapRange(BASE, v), "InvalidRange", shown, "unmapRange end");
      refuses(machine, space, () => space.unmap(v), "InvalidRange", shown, "unmap");
      refuses(machine, space, () => space.handleFault(v, "read"), "InvalidRange", shown, "handleFault");
      refuses(machine, space, () => space.read(v, 1), "InvalidRange", shown, "read at");
      refuses(machine, space, () => space.read(BASE, v), "InvalidRange", shown, "read length");
    });
  }

  test("a bigint address in a 32-bit space is refused by protect (it once split the region)", () => {
    const { machine, space } = setup();
    refuses(machine, space, () => space.protect(0x1000_0000n as unknown as number, 0x1000_1000n as unknown as number, RW), "InvalidRange", /0x0*10000000|268435456n/, "protect");
  });

  test("reading a guard page or an address in no region is InvalidRange naming why", () => {
    const { machine, space } = setup();
    space.reserve(BASE + 0x10_0000, 1);
    refuses(machine, space, () => space.read(BASE + 0x10_0000, 1), "InvalidRange", /guard page/, "guard");
    refuses(machine, space, () => space.write(BASE + 0x20_0000, new Uint8Array(1)), "InvalidRange", /no user region/, "no region");
  });

  test("rights the mode cannot express, or that are not Attributes, are InvalidAttributes in map, reserveLazy and protect", () => {
    const { machine, space } = setup();
    const noNx = { ...RW, executable: false };
    refuses(machine, space, () => space.map(1, noNx), "InvalidAttributes", /no XD bit/, "map without NX");
    refuses(machine, space, () => space.reserveLazy(BASE + 0x10_0000, 1, noNx), "InvalidAttributes", /no XD bit/, "reserveLazy without NX");
    refuses(machine, space, () => space.protect(BASE, BASE + 0x1000, noNx), "InvalidAttributes", /no XD bit/, "protect without NX");
    refuses(machine, space, () => space.map(1, { kernel: false, writable: "yes" } as never), "InvalidAttributes", /attrs\.writable/, "map, not Attributes");
  });

  test("a user page is never global, whatever the caller asks", () => {
    const { space } = setup();
    space.map(1, { ...RW, global: true }, { at: BASE + 0x10_0000 });
    assert.equal(space.regions().find((r) => r.label === "anonymous")?.attrs.global, undefined);
  });

  test("swap settings: unknown policy, bad counts, a second bound", () => {
    const { space } = setup();
    assert.throws(() => space.enableSwap({ frames: 2, policy: "nope" as never, device: new SwapDevice(4) }), (e: unknown) => e instanceof ReplacementError && e.code === "InvalidPolicy" && /"nope"/.test(e.message));
    assert.equal(space.swapPool, null, "no pool after a refused policy");
    assert.throws(() => new SwapDevice(0), (e: unknown) => e instanceof ProcessError && e.code === "InvalidSwap");
    assert.throws(() => new SwapPool({ frames: Number.NaN, policy: "fifo", device: new SwapDevice(1) }), { code: "InvalidFrames" });
    space.enableSwap({ frames: 2, policy: "fifo", device: new SwapDevice(4) });
    assert.throws(() => space.joinSwap(new SwapPool({ frames: 2, policy: "fifo", device: new SwapDevice(4) })), (e: unknown) => e instanceof ProcessError && e.code === "InvalidSwap");
  });
});
