import { bootMode, type ModeMachine, modeMappings } from "../src/boot/mode-boot.js";
import { exportModeMachine } from "../src/boot/mode-describe.js";
import { selfCheckMode } from "../src/boot/mode-check.js";
import { readModeProfile } from "../src/boot/mode-profile.js";
import { RiscvMmu } from "../src/arch/riscv/cpu.js";
import type { WalkExplanation } from "../src/paging/mmu.js";
import { type AccessKind, type ExportFiles, type PhysicalSnapshot, PhysCategory } from "./model.js";

/** One row of a mode machine's region table: a {@link ModeMachine} region, its physical blocks, and whether it is the direct map. */
export interface ModeRegionRow {
  /** The first virtual address. */
  readonly virtStart: bigint;
  /** The virtual address just past the region. */
  readonly virtEnd: bigint;
  /** The physical address of `virtStart`, or null when only reserved. */
  readonly physStart: number | null;
  /** The blocks behind the region (empty for the direct map, an alias of all RAM, and for reservations). */
  readonly physBlocks: readonly number[];
  /** Supervisor only. */
  readonly kernel: boolean;
  /** Writes allowed. */
  readonly writable: boolean;
  /** Cached (x86 PCD clear). */
  readonly cachable: boolean;
  /** Instruction fetches allowed. */
  readonly executable: boolean;
  /** The direct map: every RAM block, aliased. */
  readonly direct: boolean;
  /** What the region is. */
  readonly label: string;
}

/** A booted machine of a paging mode other than 32-bit x86, as the page shows it (display and walks; no live actions). */
export interface ModeViewMachine {
  /** The booted machine (kmem's own `bootMode`). */
  readonly machine: ModeMachine;
  /** What boot and its self-check reported, for the log. */
  readonly bootReport: string;
  /** The address-space map, in virtual address order. */
  readonly regions: readonly ModeRegionRow[];
  /** The kernel image's first byte (the walk the page opens with). */
  readonly kernelStart: bigint;
  /** The PMM's blocks from physical 0, categorised (blocks below RAM as firmware). */
  physical(): PhysicalSnapshot;
  /**
   * The MMU's explanation of an access, without changing the machine: the tables' bytes are
   * put back (accessed/dirty bits) and the TLB flushed, so a *Download* still equals `kmem export`.
   */
  previewWalk(vaddr: bigint, access: AccessKind): WalkExplanation;
  /** The files `kmem export` writes. */
  exportFiles(): ExportFiles;
}

/**
 * Boots a mode profile (as `kmem view` embeds it: bigints as `"0x…"` strings) for the page.
 *
 * @throws ProfileError `InvalidProfile` when the profile is invalid.
 */
export function bootModeView(profile: unknown, largePages: boolean): ModeViewMachine {
  const machine = bootMode(readModeProfile(profile), { largePages });
  const report = selfCheckMode(machine);
  const direct = new Set(machine.layout.mappings.filter((m) => m.direct).map((m) => m.virtual.start));
  const blockSize = machine.pmm.blockSize;
  const regions = machine.regions.map((r): ModeRegionRow => {
    const isDirect = direct.has(r.virtStart);
    const blocks: number[] = [];
    if (!isDirect && r.physStart !== null) {
      const bytes = Number(r.virtEnd - r.virtStart);
      for (let offset = 0; offset < bytes; offset += blockSize) blocks.push(r.physStart + offset);
    }
    return { ...r, physBlocks: blocks, direct: isDirect };
  });
  const pages = modeMappings(machine).length;
  const kernel = machine.profile.kernel.virtStart;
  return {
    machine,
    regions,
    kernelStart: kernel,
    bootReport: `${machine.arch}: ${regions.length} regions, ${pages} leaf entries, root table at 0x${machine.root.toString(16)}; self-check ${report.ok ? "passed" : `found ${report.failureCount} failures`}`,
    physical: () => physicalSnapshot(machine),
    previewWalk: (vaddr, access) => previewWalk(machine, vaddr, access),
    exportFiles: () => {
      const files = exportModeMachine(machine);
      return { machineJson: `${JSON.stringify(files.machine, null, 2)}\n`, ram: files.ram };
    },
  };
}

function physicalSnapshot(machine: ModeMachine): PhysicalSnapshot {
  const { pmm, layout } = machine;
  const categories = new Uint8Array(pmm.numBlocks);
  for (let block = 0; block < categories.length; block += 1) {
    const address = block * pmm.blockSize;
    categories[block] = address < layout.ramBase || pmm.isReserved(address) ? PhysCategory.Firmware : pmm.isSet(address) ? PhysCategory.Allocated : PhysCategory.Free;
  }
  for (const table of machine.space.mapper.tables(machine.root)) {
    categories[table / pmm.blockSize] = PhysCategory.PageTable;
  }
  return { blockSize: pmm.blockSize, categories };
}

const TABLE_BYTES = 4096;
/** satp's PPN field: bits 0–43 (RV64), 0–21 (RV32). */
const SATP64_PPN = (1n << 44n) - 1n;
const SATP32_PPN = (1n << 22n) - 1n;

/** The root table the MMU translates through now: the kernel's, or a process's after a switch. */
function loadedRoot(mmu: ModeMachine["mmu"]): number {
  if (mmu instanceof RiscvMmu) {
    const ppn = mmu.xlen === 64 ? BigInt(mmu.state.satp) & SATP64_PPN : BigInt(mmu.state.satp) & SATP32_PPN;
    return Number(ppn) * TABLE_BYTES;
  }
  return mmu.state.cr3 - (mmu.state.cr3 % TABLE_BYTES);
}

function previewWalk(machine: ModeMachine, vaddr: bigint, access: AccessKind): WalkExplanation {
  const { mmu, ram, layout } = machine;
  const bytes = ram.memory.bytes;
  const priv = mmu instanceof RiscvMmu ? mmu.state.priv : null;
  const saved = machine.space.mapper.tables(loadedRoot(mmu)).map((table) => {
    const offset = table - layout.ramBase;
    return { offset, copy: bytes.slice(offset, offset + TABLE_BYTES) };
  });
  const address = machine.spec.wide ? vaddr : Number(vaddr);
  try {
    // RISC-V takes the privilege from the hart's state, not from the access.
    if (mmu instanceof RiscvMmu) mmu.setState({ priv: access.user ? "U" : "S" });
    return mmu.walk(address, access);
  } finally {
    if (mmu instanceof RiscvMmu && priv !== null) mmu.setState({ priv });
    for (const { offset, copy } of saved) bytes.set(copy, offset);
    mmu.flushTlb();
  }
}
