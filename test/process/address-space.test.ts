import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { RiscvMmu } from "../../src/arch/riscv/cpu.js";
import { X86Mmu } from "../../src/arch/x86/cpu.js";
import { boot } from "../../src/boot/boot.js";
import { DEFAULT_PROFILE } from "../../src/boot/default-profile.js";
import { ProcessError } from "../../src/errors/process-error.js";
import { AddressSpace } from "../../src/process/address-space.js";
import { kernelHalf, kernelHalfOf, x86PagingRoots } from "../../src/process/kernel-half.js";
import { KERNEL_IMAGE_BASE, tableMachine } from "../../src/process/machines.js";
import { GEOMETRIES } from "../../src/paging/geometry.js";
import { assertProperty } from "../helpers/property.js";

const USER_RW = { kernel: false, writable: true, cachable: true };

describe("AddressSpace on the 32-bit boot", () => {
  test("a new space shares the kernel's PDEs 768–1023 and has no user PDE", () => {
    const machine = boot(DEFAULT_PROFILE);
    const kernel = kernelHalfOf(machine);
    assert.equal(kernel.kernelStart, 0xc000_0000);
    assert.equal(kernel.firstSharedEntry, 768);
    const space = AddressSpace.create(kernel);
    for (let i = 0; i < 1024; i++) {
      const mine = machine.ram.read32(space.root + i * 4);
      assert.equal(mine, i >= 768 ? machine.ram.read32(machine.cr3 + i * 4) : 0, `PDE ${i}`);
    }
    space.activate(machine.mmu);
    assert.equal(machine.mmu.cr3, space.root);
    assert.equal(space.isActive(machine.mmu), true);
    assert.equal(machine.mmu.translate(0xc010_0010), 0x0010_0010, "the kernel image is mapped in every space");
  });

  test("user pages are zeroed, user-accessible, and hold what write() put there", () => {
    const machine = boot(DEFAULT_PROFILE);
    const space = AddressSpace.create(kernelHalfOf(machine));
    machine.ram.fill(0, 0x800000, 0xaa);
    const at = space.map(2, USER_RW, { at: 0x0040_0000 });
    assert.equal(at, 0x0040_0000);
    space.write(at + 0xffe, new Uint8Array([1, 2, 3, 4]));
    space.activate(machine.mmu);
    assert.equal(machine.mmu.read32(at + 0xffe, { user: true }), 0x04030201, "a write across the page boundary");
    assert.equal(machine.mmu.read8(at + 0x10, { user: true }), 0, "fresh pages are zero");
    assert.throws(() => machine.mmu.read8(0xc010_0000, { user: true }), { code: "PageFault" }, "the kernel half is supervisor-only");
  });

  test("destroy returns the PMM's free count exactly and makes the space unusable", () => {
    const machine = boot(DEFAULT_PROFILE);
    const before = machine.pmm.blocksFree();
    const space = AddressSpace.create(kernelHalfOf(machine));
    space.map(3, USER_RW, { at: 0x0800_0000 });
    space.map(1, USER_RW, { at: 0x3fff_f000 });
    space.reserve(0x0800_3000, 1);
    assert.ok(machine.pmm.blocksFree() < before - 4, "frames and tables were taken");
    space.destroy();
    assert.equal(machine.pmm.blocksFree(), before);
    assert.throws(() => space.map(1, USER_RW), (e: unknown) => e instanceof ProcessError && e.code === "Destroyed");
    assert.equal(machine.mmu.translate(0xc010_0010), 0x0010_0010, "the kernel's tables are untouched");
  });

  test("copy has the same regions and bytes in its own frames; writes stay private", () => {
    const machine = boot(DEFAULT_PROFILE);
    const before = machine.pmm.blocksFree();
    const parent = AddressSpace.create(kernelHalfOf(machine));
    const at = parent.map(2, USER_RW, { label: "heap" });
    parent.reserve(at + 0x2000, 1);
    parent.write(at, new TextEncoder().encode("parent"));
    const child = parent.copy();
    assert.deepEqual(
      child.regions().map((r) => [r.virtual, r.label, r.frames]),
      parent.regions().map((r) => [r.virtual, r.label, r.frames]),
    );
    assert.notEqual(child.physicalAddress(at), parent.physicalAddress(at), "own frames");
    assert.equal(new TextDecoder().decode(child.read(at, 6)), "parent");
    child.write(at, new TextEncoder().encode("child!"));
    assert.equal(new TextDecoder().decode(parent.read(at, 6)), "parent");
    parent.destroy();
    assert.equal(new TextDecoder().decode(child.read(at, 6)), "child!");
    child.destroy();
    assert.equal(machine.pmm.blocksFree(), before);
  });

  test("copy that runs out of frames throws OutOfMemory and leaves nothing allocated", () => {
    const machine = boot(DEFAULT_PROFILE);
    const parent = AddressSpace.create(kernelHalfOf(machine));
    const free = machine.pmm.blocksFree();
    parent.map(Math.floor(free / 2) + 10, USER_RW);
    const after = machine.pmm.blocksFree();
    assert.throws(() => parent.copy(), (e: unknown) => e instanceof ProcessError && e.code === "OutOfMemory");
    assert.equal(machine.pmm.blocksFree(), after);
  });

  test("a kernel half not aligned to a top-level entry is refused", () => {
    const machine = tableMachine("x86-64");
    assert.throws(
      () => kernelHalf({ ...machine.kernel, kernelStart: 0xffff_8000_0020_0000n }),
      (e: unknown) => e instanceof ProcessError && e.code === "InvalidKernelHalf" && e.message.includes("0xFFFF800000200000"),
    );
    assert.throws(() => kernelHalf({ ...machine.kernel, kernelStart: 0x0000_4000_0000_0000n }), { code: "InvalidKernelHalf" });
  });
});

describe("AddressSpace on 64-bit tables", () => {
  test("x86-64: switching CR3 keeps global kernel translations and drops user ones", () => {
    const machine = tableMachine("x86-64");
    const mmu = machine.mmu as X86Mmu;
    const a = AddressSpace.create(machine.kernel);
    const b = AddressSpace.create(machine.kernel);
    assert.equal(machine.kernel.firstSharedEntry, 256);
    const at = a.map(1, USER_RW, { at: 0x40_0000n });
    b.map(1, USER_RW, { at: 0x40_0000n });
    a.write(at, new Uint8Array([7]));
    a.activate(mmu);
    assert.equal(mmu.translate(at, { user: true }), a.physicalAddress(at));
    // After the user page: both share a slot of the direct-mapped TLB.
    assert.equal(mmu.translate(KERNEL_IMAGE_BASE + 8n), 0x10_0008);
    const walks = mmu.walks;
    b.activate(mmu);
    assert.equal(mmu.translate(KERNEL_IMAGE_BASE + 8n), 0x10_0008);
    assert.equal(mmu.walks, walks, "the global kernel page came from the TLB");
    assert.equal(mmu.translate(at, { user: true }), b.physicalAddress(at), "the user page was walked again in b");
    assert.equal(mmu.walks, walks + 1);
  });

  test("riscv-sv39: satp takes the root and the ASID, MODE kept; U-mode reads user pages", () => {
    const machine = tableMachine("riscv-sv39");
    const mmu = machine.mmu as RiscvMmu;
    const space = AddressSpace.create(machine.kernel);
    assert.equal(machine.kernel.userEnd, 0x40_0000_0000n);
    const at = space.map(1, { ...USER_RW, executable: false });
    space.write(at + 4n, new Uint8Array([0x5a]));
    space.activate(mmu, { asid: 9 });
    assert.equal(mmu.state.satp, (8n << 60n) | (9n << 44n) | BigInt(space.root / 4096));
    assert.equal(mmu.asid, 9);
    mmu.setState({ priv: "U" });
    assert.equal(machine.ram.read8(mmu.translate(at + 4n, { user: true })), 0x5a);
    assert.throws(() => mmu.translate(at, { user: true, fetch: true }), { code: "InstructionPageFault" });
    assert.throws(() => mmu.translate(KERNEL_IMAGE_BASE, { user: true }), { code: "LoadPageFault" });
  });

  test("x86 PAE geometry shares the top PDPTE for a 3 GiB split", () => {
    const machine = boot(DEFAULT_PROFILE);
    const kernel = kernelHalf({ geometry: GEOMETRIES["x86-pae"], memory: machine.ram, pmm: machine.pmm, mapper: x86PagingRoots(machine.paging), root: machine.cr3, kernelStart: 0xc000_0000 });
    assert.equal(kernel.firstSharedEntry, 3);
    assert.equal(kernel.userEnd, 0xc000_0000);
  });

  test("property: any sequence of create/map/unmap/copy/destroy owns each frame once and gives every frame back", () => {
    assertProperty(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant("create" as const) }),
            fc.record({ op: fc.constant("map" as const), space: fc.nat(), pages: fc.integer({ min: 1, max: 5 }), page: fc.integer({ min: 1, max: 0x3000 }) }),
            fc.record({ op: fc.constant("unmap" as const), space: fc.nat(), region: fc.nat() }),
            fc.record({ op: fc.constant("copy" as const), space: fc.nat() }),
            fc.record({ op: fc.constant("destroy" as const), space: fc.nat() }),
          ),
          { maxLength: 25 },
        ),
        (ops) => {
          const machine = tableMachine("x86-64", { memoryBytes: 4 * 0x10_0000 });
          const kernelTables = new Set(machine.mapper.tables(machine.kernel.root));
          const before = machine.pmm.blocksFree();
          const spaces: AddressSpace<bigint>[] = [];
          const pick = (i: number): AddressSpace<bigint> | undefined => spaces[i % Math.max(1, spaces.length)];
          for (const op of ops) {
            try {
              if (op.op === "create") spaces.push(AddressSpace.create(machine.kernel));
              else if (op.op === "map") pick(op.space)?.map(op.pages, USER_RW, { at: BigInt(op.page) * 0x1000n });
              else if (op.op === "copy") {
                const s = pick(op.space);
                if (s !== undefined) spaces.push(s.copy());
              } else if (op.op === "unmap") {
                const s = pick(op.space);
                const r = s?.regions()[op.region % Math.max(1, s.regions().length)];
                if (s !== undefined && r !== undefined) s.unmap(r.virtual.start);
              } else {
                const s = pick(op.space);
                if (s !== undefined) {
                  s.destroy();
                  spaces.splice(spaces.indexOf(s), 1);
                }
              }
            } catch (error) {
              const code = (error as { code?: string }).code;
              assert.ok(code === "OutOfMemory" || code === "AlreadyAllocated", `unexpected ${String(error)}`);
            }
            const owned = new Set<number>();
            let count = 0;
            for (const s of spaces) {
              const frames = [...s.pages().map((p) => p.frame), ...machine.mapper.tables(s.root).filter((t) => !kernelTables.has(t))];
              for (const f of frames) {
                assert.equal(owned.has(f), false, `frame ${f} owned twice`);
                assert.equal(kernelTables.has(f), false, `frame ${f} is a kernel table`);
                owned.add(f);
                count++;
              }
            }
            assert.equal(machine.pmm.blocksFree(), before - count, "the PMM counts exactly the frames the spaces own");
          }
          for (const s of spaces) s.destroy();
          assert.equal(machine.pmm.blocksFree(), before);
        },
      ),
      { seed: 0x15a5, numRuns: 30 },
    );
  });
});
