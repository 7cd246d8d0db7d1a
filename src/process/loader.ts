import { ElfError } from "../errors/elf-error.js";
import { hex } from "../format.js";
import { PAGE_BYTES } from "../paging/geometry.js";
import type { Address, Range } from "../types.js";
import type { AddressSpace } from "./address-space.js";
import { ET_DYN, type ElfImage, PF_W, PF_X, parseElf } from "./elf.js";
import { describeElfTarget, ELF_TARGETS, runsElf } from "./elf-modes.js";
import { sameType } from "./kernel-half.js";

/** Options of {@link loadElf}. */
export interface LoadElfOptions<A extends Address> {
  /** Where a PIE (`ET_DYN`) is loaded (page-aligned). Default: two thirds of the user window (the user half, at most 2^47), page-aligned (Linux's `ELF_ET_DYN_BASE`). Ignored for `ET_EXEC`. */
  readonly base?: A;
  /** Pages of user stack (default 8, 32 KiB). */
  readonly stackPages?: number;
  /** Demand-page everything: segments file-backed from `bytes`, the stack zero-filled, no frame until first touch. Default false. */
  readonly lazy?: boolean;
}

/** One loaded `PT_LOAD` segment. */
export interface LoadedSegment<A extends Address> {
  /** Position among the `PT_LOAD` headers. */
  readonly index: number;
  /** Its pages: `[page-floor(base + p_vaddr), page-ceil(base + p_vaddr + p_memsz))`. */
  readonly virtual: Range<A>;
  /** `p_flags`. */
  readonly flags: number;
}

/** The result of {@link loadElf}. */
export interface LoadedElf<A extends Address> {
  /** `e_entry` plus the base. */
  readonly entry: A;
  /** What was added to every address (0 for `ET_EXEC`). */
  readonly base: A;
  /** The non-empty `PT_LOAD` segments, in header order. */
  readonly segments: readonly LoadedSegment<A>[];
  /** The stack's pages; the initial stack pointer is `stack.end`. */
  readonly stack: Range<A>;
  /** The unmapped guard page just below the stack (a stack overflow faults there). */
  readonly guard: Range<A>;
}

const DEFAULT_STACK_PAGES = 8;
/** The top of the user window new processes get by default: 2^47, as in Linux with 5-level paging (x86 LA57, RISC-V Sv57). */
const MAP_WINDOW = 1n << 47n;
const PAGE = BigInt(PAGE_BYTES);

/**
 * Loads an ELF executable into `space` as pluto's `Task.createFromElf` does: one region per
 * `PT_LOAD` at its (page-rounded) address with its rights — user, writable iff `PF_W`,
 * executable iff `PF_X` where the mode can refuse execution (32-bit x86 paging cannot) — the
 * file bytes copied and the rest (`.bss`) zeroed; then a user stack just below the top page
 * of the user window (the user half, or 2^47 in 5-level modes, as Linux's `DEFAULT_MAP_WINDOW`),
 * with an unmapped guard page below it. Every check runs before anything
 * is allocated; when allocation fails midway, every region made is freed. O(file + pages).
 *
 * Not modelled: `PT_INTERP` (no dynamic linker is loaded), `PT_TLS`, auxv/argv on the stack,
 * non-readable segments (every page is readable).
 *
 * @throws {ElfError} every code of `parseElf`, plus `WrongMachine`, `BadBase`,
 * `OverlappingSegments` (two segments, or a segment and the stack, share a page),
 * `SegmentInKernelHalf`, `SegmentOutsideUserSpace`.
 * @throws {ProcessError} `OutOfMemory` (nothing kept), `Destroyed`.
 * @example
 * const space = AddressSpace.create(tableMachine("x86-64").kernel);
 * const loaded = loadElf(space, bytes, { base: 0x5555_5555_4000n });
 * loaded.entry; // 0x55555555A000n for an e_entry of 0x6000
 */
export function loadElf<A extends Address>(space: AddressSpace<A>, bytes: Uint8Array, options: LoadElfOptions<A> = {}): LoadedElf<A> {
  const kernel = space.kernel;
  const image = parseElf(bytes);
  const mode = kernel.geometry.name;
  if (!runsElf(mode, image)) {
    throw new ElfError("WrongMachine", `Cannot load an ${describeElfTarget(image)} file into a ${mode} address space: it runs ${describeElfTarget(ELF_TARGETS[mode])}`, {
      bits: image.bits,
      machine: image.machine,
    });
  }
  const userStart = BigInt(kernel.userStart);
  const userEnd = BigInt(kernel.userEnd);
  // Linux's DEFAULT_MAP_WINDOW: with 5-level tables a new process still lives below 2^47
  // (what 4-level tables reach), unless it asks for more.
  const window = userEnd < MAP_WINDOW ? userEnd : MAP_WINDOW;
  const base = image.type === ET_DYN ? BigInt(options.base ?? sameType(kernel.userEnd, ((window * 2n) / 3n / PAGE) * PAGE)) : 0n;
  if (base % PAGE !== 0n || base < 0n || base >= userEnd) throw new ElfError("BadBase", `Cannot load the PIE at ${hex(options.base ?? 0)}: the base must be a page-aligned user address`, { base: options.base ?? null });
  const stackPages = options.stackPages ?? DEFAULT_STACK_PAGES;
  const stack = { start: window - PAGE - BigInt(stackPages) * PAGE, end: window - PAGE };
  const guard = { start: stack.start - PAGE, end: stack.start };
  const planned = plan(image, base, userStart, userEnd, guard.start);
  const made: A[] = [];
  const at = (value: bigint): A => sameType(kernel.userEnd, value);
  try {
    for (const p of planned) {
      const writable = (p.segment.flags & PF_W) !== 0;
      const executable = !kernel.noExecute || (p.segment.flags & PF_X) !== 0;
      const attrs = { kernel: false, writable, cachable: true, executable };
      const pages = Number((p.end - p.start) / PAGE);
      const label = `PT_LOAD ${String(p.segment.index)}`;
      const { offset, fileSize } = p.segment;
      const data = image.bytes.subarray(offset, offset + fileSize);
      if (options.lazy === true) {
        made.push(space.reserveLazy(at(p.start), pages, attrs, { label, backing: { data, at: Number(base + p.segment.vaddr - p.start) } }));
        continue;
      }
      made.push(space.map(pages, attrs, { at: at(p.start), label }));
      if (fileSize > 0) space.write(at(base + p.segment.vaddr), data);
    }
    made.push(space.reserve(at(guard.start), 1, "stack guard"));
    const stackAttrs = { kernel: false, writable: true, cachable: true, executable: !kernel.noExecute };
    made.push(options.lazy === true ? space.reserveLazy(at(stack.start), stackPages, stackAttrs, { label: "stack" }) : space.map(stackPages, stackAttrs, { at: at(stack.start), label: "stack" }));
  } catch (error) {
    for (const start of made) space.unmap(start);
    throw error;
  }
  return {
    entry: at(base + image.entry),
    base: at(base),
    segments: planned.map((p) => ({ index: p.segment.index, virtual: { start: at(p.start), end: at(p.end) }, flags: p.segment.flags })),
    stack: { start: at(stack.start), end: at(stack.end) },
    guard: { start: at(guard.start), end: at(guard.end) },
  };
}

interface Planned {
  readonly segment: ElfImage["segments"][number];
  readonly start: bigint;
  readonly end: bigint;
}

/** Page-rounded ranges of the non-empty segments, checked against the user half, each other and the stack. */
function plan(image: ElfImage, base: bigint, userStart: bigint, userEnd: bigint, stackBottom: bigint): Planned[] {
  const planned: Planned[] = [];
  for (const segment of image.segments) {
    if (segment.memSize === 0n) continue;
    const first = base + segment.vaddr;
    const start = (first / PAGE) * PAGE;
    const end = ((first + segment.memSize + PAGE - 1n) / PAGE) * PAGE;
    const label = `PT_LOAD ${String(segment.index)} (${hex(first)}–${hex(first + segment.memSize)})`;
    if (end > userEnd) throw new ElfError("SegmentInKernelHalf", `Cannot load ${label}: it reaches past the user half's end ${hex(userEnd)}`, { index: segment.index });
    if (start < userStart) throw new ElfError("SegmentOutsideUserSpace", `Cannot load ${label}: it starts below the user space at ${hex(userStart)}`, { index: segment.index });
    if (end > stackBottom) throw new ElfError("OverlappingSegments", `Cannot load ${label}: it overlaps the stack and its guard from ${hex(stackBottom)}`, { index: segment.index });
    planned.push({ segment, start, end });
  }
  const sorted = [...planned].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1];
    const next = sorted[i];
    if (previous !== undefined && next !== undefined && next.start < previous.end) {
      throw new ElfError("OverlappingSegments", `Cannot load PT_LOAD ${String(next.segment.index)}: its pages from ${hex(next.start)} overlap PT_LOAD ${String(previous.segment.index)}'s, which end at ${hex(previous.end)}`, {
        index: next.segment.index,
        other: previous.segment.index,
      });
    }
  }
  return planned;
}
