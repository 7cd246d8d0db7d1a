import {
  ENTRY_BYTES, ENTRY_FRAME_MASK, LARGE_RESERVED_MASK, PDE_PAGE_SIZE, pdIndex, PTE_PRESENT, ptIndex, largeFrameAddress,
} from "../src/arch/x86/entry.js";
import { pageTables } from "../src/arch/x86/mappings.js";
import { PageFault } from "../src/arch/x86/page-fault.js";
import { Mmu, type WalkResult } from "../src/arch/x86/mmu.js";
import { boot, DEFAULT_PROFILE, exportMachine, type Machine, parseProfile, type Region, selfCheck } from "../src/boot/index.js";
import { kernelHalfOf } from "../src/process/kernel-half.js";
import type { Attributes, Range } from "../src/types.js";
import { ProcessTable } from "./processes.js";
import { entryFields, errorCodeFields } from "./entry-fields.js";
import {
  type AccessKind, type ExportFiles, type PageMapping, PhysCategory, type PhysicalSnapshot, type RegionRow, type ViewMachine,
  type WalkLevel, type WalkView,
} from "./model.js";

const UNLABELLED = "(unlabelled)";
/** `kmem export` indents machine.json by two spaces; the download must match it byte for byte. */
const JSON_INDENT = 2;

/** Whether `blocks` are consecutive frames starting at their first. */
function contiguous(blocks: readonly number[], blockSize: number): boolean {
  return blocks.every((block, i) => block === (blocks[0] ?? 0) + i * blockSize);
}

/** Marks the blocks of `range` (rounded outward) as `category`. */
function mark(categories: Uint8Array, range: Range, blockSize: number, category: PhysCategory): void {
  const first = Math.floor(range.start / blockSize);
  const end = Math.min(categories.length, Math.ceil(range.end / blockSize));
  categories.fill(category, Math.max(0, first), Math.max(0, end));
}

function walkLevels(result: WalkResult): WalkLevel[] {
  const levels: WalkLevel[] = [
    { name: "PDE", index: result.pdIndex, address: result.pdeAddress, value: result.pde, fields: entryFields(result.pde, "pde") },
  ];
  if (result.pteAddress !== null && result.pte !== null) {
    levels.push({ name: "PTE", index: result.ptIndex, address: result.pteAddress, value: result.pte, fields: entryFields(result.pte, "pte") });
  }
  return levels;
}

/**
 * What the tables in RAM translate the walked address to now, or `null` when they do not map
 * it (permissions aside): differs from a TLB hit's answer when the TLB entry is stale.
 */
function ramTranslation(result: WalkResult): number | null {
  if ((result.pde & PTE_PRESENT) === 0) {
    return null;
  }
  if (result.large) {
    return (result.pde & LARGE_RESERVED_MASK) !== 0 ? null : largeFrameAddress(result.pde) + result.offset;
  }
  if (result.pte === null || (result.pte & PTE_PRESENT) === 0) {
    return null;
  }
  return ((result.pte & ENTRY_FRAME_MASK) >>> 0) + result.offset;
}

/**
 * The addresses and values of the entries a walk of `vaddr` may set accessed/dirty bits in:
 * the PDE, and the PTE when the PDE points at a table.
 */
function entriesOnPath(machine: Machine, vaddr: number): [number, number][] {
  const pdeAddress = machine.cr3 + pdIndex(vaddr) * ENTRY_BYTES;
  const pde = machine.ram.read32(pdeAddress);
  const entries: [number, number][] = [[pdeAddress, pde]];
  const large = machine.cr4Pse && (pde & PDE_PAGE_SIZE) !== 0;
  if ((pde & PTE_PRESENT) !== 0 && !large) {
    const pteAddress = ((pde & ENTRY_FRAME_MASK) >>> 0) + ptIndex(vaddr) * ENTRY_BYTES;
    entries.push([pteAddress, machine.ram.read32(pteAddress)]);
  }
  return entries;
}

/** A booted kmem machine seen through the page's {@link ViewMachine} interface. */
class KmemViewMachine implements ViewMachine {
  readonly #machine: Machine;
  /**
   * How each allocation is named, by its start: boot's regions inside it (one `vmm.set` may
   * hold several, e.g. the kernel image and its early area), or the label the user gave.
   */
  readonly #labels = new Map<number, string | readonly Region[]>();
  readonly bootReport: string;
  readonly processes: ProcessTable<number> | { readonly unavailable: string };

  constructor(machine: Machine) {
    this.#machine = machine;
    // The kernel half is taken as booted, before the page's actions allocate below it.
    try {
      this.processes = new ProcessTable(kernelHalfOf(machine), machine.mmu);
    } catch (error) {
      this.processes = { unavailable: error instanceof Error ? error.message : String(error) };
    }
    for (const allocation of machine.vmm.allocations()) {
      const inside = machine.regions.filter((r) => r.virtStart >= allocation.virtual.start && r.virtEnd <= allocation.virtual.end);
      this.#labels.set(allocation.virtual.start, inside.length > 0 ? inside : UNLABELLED);
    }
    const check = selfCheck(machine);
    this.bootReport = check.ok
      ? `self-check ok (${check.blocksChecked} blocks checked)`
      : `self-check FAILED: ${check.failureCount} failures, first: ${check.failures[0]?.message ?? "?"}`;
  }

  get memoryBytes(): number {
    return this.#machine.profile.memoryBytes;
  }

  get blockSize(): number {
    return this.#machine.pmm.blockSize;
  }

  get cr3(): number {
    return this.#machine.cr3;
  }

  regions(): RegionRow[] {
    const rows: RegionRow[] = [];
    for (const allocation of this.#machine.vmm.allocations()) {
      const start = allocation.virtual.start;
      const naming = this.#labels.get(start) ?? UNLABELLED;
      const parts = typeof naming === "string" ? [{ virtStart: start, virtEnd: allocation.virtual.end, label: naming }] : naming;
      for (const part of parts) {
        const first = (part.virtStart - start) / this.blockSize;
        const blocks = allocation.physical.slice(first, first + (part.virtEnd - part.virtStart) / this.blockSize);
        rows.push({
          virtStart: part.virtStart,
          virtEnd: part.virtEnd,
          allocationStart: start,
          physStart: blocks.length > 0 && contiguous(blocks, this.blockSize) ? (blocks[0] ?? null) : null,
          physBlocks: blocks,
          kernel: allocation.attrs.kernel,
          writable: allocation.attrs.writable,
          cachable: allocation.attrs.cachable,
          label: part.label,
        });
      }
    }
    return rows;
  }

  mappings(): PageMapping[] {
    return this.#machine.paging.mappings(this.#machine.cr3);
  }

  physical(): PhysicalSnapshot {
    const { pmm, profile, cr3 } = this.#machine;
    const blockSize = pmm.blockSize;
    const categories = new Uint8Array(Math.floor(profile.memoryBytes / blockSize));
    const backing = new Set<number>();
    for (const allocation of this.#machine.vmm.allocations()) {
      for (const block of allocation.physical) {
        backing.add(block);
      }
    }
    const processes = this.processes instanceof ProcessTable ? this.processes.list() : [];
    for (const { space } of processes) {
      for (const page of space.pages()) {
        backing.add(page.frame);
      }
    }
    for (let block = 0; block < categories.length; block += 1) {
      const address = block * blockSize;
      if (pmm.isSet(address)) {
        categories[block] = backing.has(address) ? PhysCategory.Allocated : PhysCategory.Firmware;
      }
    }
    for (const entry of profile.memoryMap) {
      if (entry.type !== "available") {
        mark(categories, entry, blockSize, PhysCategory.Firmware);
      }
    }
    mark(categories, { start: profile.kernel.physStart, end: profile.kernel.physEnd }, blockSize, PhysCategory.Kernel);
    for (const module of profile.modules) {
      mark(categories, { start: module.physStart, end: module.physEnd }, blockSize, PhysCategory.Module);
    }
    for (const root of [cr3, ...processes.map((p) => p.space.root)]) {
      mark(categories, { start: root, end: root + blockSize }, blockSize, PhysCategory.PageTable);
      for (const table of pageTables(this.#machine.ram, root, { pse: this.#machine.cr4Pse })) {
        mark(categories, { start: table, end: table + blockSize }, blockSize, PhysCategory.PageTable);
      }
    }
    return { blockSize, categories };
  }

  get kernelStart(): number {
    return this.#machine.profile.kernel.virtStart;
  }

  walk(vaddr: number, access: AccessKind): WalkView {
    return this.#explain(this.#machine.mmu.walk(vaddr, access), access);
  }

  previewWalk(vaddr: number, access: AccessKind): WalkView {
    const machine = this.#machine;
    const saved = entriesOnPath(machine, vaddr);
    const mmu = new Mmu({ ram: machine.ram, cr3: machine.cr3, pse: machine.cr4Pse, wp: machine.mmu.wp, tlbEntries: 0 });
    try {
      return this.#explain(mmu.walk(vaddr, access), access);
    } finally {
      for (const [address, value] of saved) {
        machine.ram.write32(address, value);
      }
    }
  }

  #explain(result: WalkResult, access: AccessKind): WalkView {
    const fault = result.errorCode === null
      ? null
      : {
        address: result.vaddr,
        errorCode: result.errorCode,
        bits: errorCodeFields(result.errorCode),
        message: new PageFault(result.vaddr, result.errorCode, {
          ...(result.reason === null ? {} : { reason: result.reason }),
          fetch: access.fetch,
        }).message,
      };
    return {
      vaddr: result.vaddr,
      access: result.access,
      cr3: result.cr3,
      directoryIndex: result.pdIndex,
      tableIndex: result.ptIndex,
      offset: result.offset,
      tlbHit: result.tlbHit,
      staleTlb: result.tlbHit && result.physical !== null && ramTranslation(result) !== result.physical,
      large: result.large,
      levels: walkLevels(result),
      physical: result.physical,
      fault,
    };
  }

  alloc(blocks: number, attrs: Attributes, options: { readonly at?: number; readonly label: string }): number | null {
    const start = options.at === undefined
      ? this.#machine.vmm.alloc(blocks, attrs)
      : this.#machine.vmm.alloc(blocks, attrs, options.at);
    if (start !== null) {
      this.#labels.set(start, options.label);
    }
    return start;
  }

  free(vaddr: number): void {
    this.#machine.vmm.free(vaddr);
    this.#labels.delete(vaddr);
  }

  set(range: { readonly virtStart: number; readonly virtEnd: number; readonly physStart: number | null }, attrs: Attributes, label: string): void {
    const virtual = { start: range.virtStart, end: range.virtEnd };
    const physical = range.physStart === null ? null : { start: range.physStart, end: range.physStart + (range.virtEnd - range.virtStart) };
    this.#machine.vmm.set(virtual, physical, attrs);
    this.#labels.set(range.virtStart, label);
  }

  flushTlb(): void {
    this.#machine.mmu.flushTlb();
  }

  invlpg(vaddr: number): void {
    this.#machine.mmu.invlpg(vaddr);
  }

  /** `kmem export`'s files for the current state: its `machine.json` with the regions as they are now. */
  exportFiles(): ExportFiles {
    const exported = exportMachine(this.#machine);
    const regions = this.regions().map((row) => ({
      virtStart: row.virtStart,
      virtEnd: row.virtEnd,
      physStart: row.physBlocks[0] ?? null,
      kernel: row.kernel,
      writable: row.writable,
      cachable: row.cachable,
      label: row.label,
    }));
    const machine = { ...exported.machine, regions };
    return { machineJson: `${JSON.stringify(machine, null, JSON_INDENT)}\n`, ram: exported.ram };
  }
}

/**
 * Boots `profile` (as JSON gives it; `null` for kmem's default profile) with kmem's real
 * boot code, ready for the page; `largePages` maps 4 MiB runs with 4 MiB pages.
 *
 * @throws ProfileError `InvalidProfile` when the profile is invalid, or any boot error.
 */
export function bootViewMachine(profile: unknown, options: { readonly largePages: boolean }): ViewMachine {
  const parsed = profile === null ? DEFAULT_PROFILE : parseProfile(profile);
  return new KmemViewMachine(boot(parsed, { largePages: options.largePages }));
}
