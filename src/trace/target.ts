import type { FramePolicyName, VirtualAllocatorName } from "../alloc/policies.js";
import { CR0_PG, CR0_WP, CR4_PAE, EFER_LME, EFER_NXE } from "../arch/x86/entry64.js";
import { x86Codec } from "../arch/x86/codec.js";
import { X86Mmu } from "../arch/x86/cpu.js";
import { Mmu } from "../arch/x86/mmu.js";
import { boot } from "../boot/boot.js";
import { DEFAULT_PROFILE } from "../boot/default-profile.js";
import type { MemoryProfile } from "../boot/profile.js";
import type { FrameAllocator, Mapper } from "../mapper.js";
import { TableMapper } from "../paging/table-mapper.js";
import type { PhysicalMemoryManager } from "../pmm.js";
import type { Address, Attributes } from "../types.js";
import { VirtualMemoryManager } from "../vmm.js";
import { type TraceHeader, type TouchAccess, readTraceAddress } from "./format.js";

/** The machine a trace is replayed on. */
export interface ReplayConfig {
  /** The memory profile booted first (default: the built-in 128 MiB PC); the trace runs in a new address space beside its kernel. */
  readonly profile?: MemoryProfile;
  /** The replayed VMM's virtual allocator. */
  readonly allocator: VirtualAllocatorName;
  /** The PMM's frame policy. */
  readonly pmm: FramePolicyName;
  /** Map aligned runs with large pages (4 MiB on x86, 2 MiB and 1 GiB on x86-64). Default false. */
  readonly largePages?: boolean;
}

/** Calls a replay made to its mapper. */
export interface MapperCalls {
  /** `map` calls. */
  map: number;
  /** `unmap` calls. */
  unmap: number;
}

/** A fresh address space for a trace: a VMM over the header's space, its page tables, the PMM it shares with the booted kernel, and an MMU on it. */
export interface ReplayTarget<A extends Address> {
  /** The space's VMM (payload: the root table's physical address). */
  readonly vmm: VirtualMemoryManager<number, A>;
  /** The booted machine's PMM, shared with its kernel. */
  readonly pmm: PhysicalMemoryManager;
  /** Calls the VMM made to its mapper so far. */
  readonly mapperCalls: MapperCalls;
  /** Pages holding the space's paging structures now (the root included). */
  pageTablePages(): number;
  /** Performs an access through the MMU: whether it translated (false: a page fault). */
  touch(address: A, access: TouchAccess, user: boolean): boolean;
  /** Drops the TLB's translations of `[start, end)` (after a free or unmap, as a kernel's invlpg). */
  invalidate(start: A, end: A): void;
  /** TLB lookups that missed (page walks) since the target was built. */
  tlbMisses(): number;
  /** Converts a trace address to the space's address type. */
  address(value: bigint): A;
}

/** Wraps a mapper so that every call is counted. */
function countingMapper<A extends Address>(inner: Mapper<number, A>, calls: MapperCalls): Mapper<number, A> {
  return {
    map(vStart: A, vEnd: A, pStart: A, pEnd: A, attrs: Attributes, payload: number): void {
      calls.map++;
      inner.map(vStart, vEnd, pStart, pEnd, attrs, payload);
    },
    unmap(vStart: A, vEnd: A, payload: number): void {
      calls.unmap++;
      inner.unmap(vStart, vEnd, payload);
    },
  };
}

/** Invalidating more pages than this flushes the whole TLB instead. */
const INVLPG_LIMIT = 64;

/**
 * Boots `config.profile` with the PMM policy and builds a fresh address space for a trace
 * with `header`: 32-bit x86 page tables (the kernel's `X86Paging`, a new directory) for
 * `"x86"`, 4-level x86-64 tables (`TableMapper`) for `"x86-64"`.
 *
 * @throws {ProfileError} when the profile does not boot; {@link VmmError} `InvalidVirtAddresses` when the space is not one the arch can hold.
 */
export function replayTarget(header: TraceHeader, config: ReplayConfig): ReplayTarget<number> | ReplayTarget<bigint> {
  const machine = boot(config.profile ?? DEFAULT_PROFILE, { pmmPolicy: config.pmm, largePages: config.largePages === true });
  const start = readTraceAddress(header.space.start);
  const end = header.space.end === "0x10000000000000000" ? 2n ** 64n : readTraceAddress(header.space.end);
  const mapperCalls: MapperCalls = { map: 0, unmap: 0 };
  if (header.arch === "x86") {
    const directory = machine.paging.createDirectory();
    const mapper = countingMapper<number>(machine.paging, mapperCalls);
    const vmm = new VirtualMemoryManager({ start: Number(start), end: Number(end), pmm: machine.pmm, mapper, payload: directory, allocator: config.allocator });
    const mmu = new Mmu({ ram: machine.ram, cr3: directory, pse: config.largePages === true });
    const target: ReplayTarget<number> = {
      vmm,
      pmm: machine.pmm,
      mapperCalls,
      pageTablePages: () => machine.paging.tablesInUse(directory) + 1,
      touch: (address, access, user) => mmu.tryTranslate(address, { write: access === "write", fetch: access === "fetch", user }) >= 0,
      invalidate: (from, to) => {
        if ((to - from) / vmm.blockSize > INVLPG_LIMIT) mmu.flushTlb();
        else for (let page = from; page < to; page += vmm.blockSize) mmu.invlpg(page);
      },
      tlbMisses: () => mmu.tlbMisses,
      address: (value) => Number(value),
    };
    return target;
  }
  let tables = 0;
  const pmm = machine.pmm;
  const frames: FrameAllocator = {
    blockSize: pmm.blockSize,
    alloc: () => {
      const frame = pmm.alloc();
      if (frame !== null) tables++;
      return frame;
    },
    free: (address) => {
      pmm.free(address);
      tables--;
    },
  };
  const tableMapper = new TableMapper<bigint>({ codec: x86Codec("x86-64"), bus: machine.ram, frames, largePages: config.largePages === true });
  const root = tableMapper.createRoot();
  const vmm = new VirtualMemoryManager({ start, end, pmm, mapper: countingMapper(tableMapper, mapperCalls), payload: root, allocator: config.allocator });
  const mmu = new X86Mmu({ bus: machine.ram, state: { cr0: CR0_PG | CR0_WP, cr3: root, cr4: CR4_PAE, efer: EFER_LME | EFER_NXE } });
  const blockSize = BigInt(vmm.blockSize);
  const target: ReplayTarget<bigint> = {
    vmm,
    pmm,
    mapperCalls,
    pageTablePages: () => tables,
    touch: (address, access, user) => mmu.tryTranslate(address, { write: access === "write", fetch: access === "fetch", user }) >= 0,
    invalidate: (from, to) => {
      if ((to - from) / blockSize > BigInt(INVLPG_LIMIT)) mmu.flushTlb();
      else for (let page = from; page < to; page += blockSize) mmu.invlpg(page);
    },
    tlbMisses: () => mmu.walks,
    address: (value) => value,
  };
  return target;
}
