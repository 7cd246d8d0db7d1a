import { hex, hexRange } from "../format.js";
import type { Mapper } from "../mapper.js";
import { PhysicalMemoryManager } from "../pmm.js";
import { BLOCK_SIZE } from "../types.js";
import { VirtualMemoryManager } from "../vmm.js";
import { Chooser } from "./choice.js";
import { checkCount, checkSeed } from "./options.js";

/** The most requests one allocator exercise makes (each allocation gets its own map character). */
export const MAX_ALLOC_REQUESTS = 30;
/** Requests made when no count is given. */
export const DEFAULT_ALLOC_REQUESTS = 10;
/** Blocks the exercise's VMM manages. */
export const ALLOC_QUIZ_BLOCKS = 16;
/** Where the exercise's VMM starts. */
export const ALLOC_QUIZ_START = 0x00400000;
const MAX_REQUEST_BLOCKS = 5;
/** Map characters of allocations a1, a2, …; `.` is a free block. */
const MAP_CHARS = "123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const FREE_CHAR = ".";
const NUMBER_WIDTH = 4;

/** A {@link Mapper} that installs nothing: the allocator exercise is about virtual blocks only. */
export class NullMapper implements Mapper<null> {
  /** Accepts any mapping and records nothing. */
  map(): void {}
  /** Accepts any unmapping. */
  unmap(): void {}
}

/** One request and what the VMM answered. */
export type AllocStep = AllocRequestStep | FreeRequestStep;

/** `aN = alloc(blocks)`: the student predicts `address`. */
export interface AllocRequestStep {
  /** `"alloc"`. */
  readonly op: "alloc";
  /** The allocation's name, `a1`, `a2`, … */
  readonly name: string;
  /** Blocks asked for. */
  readonly blocks: number;
  /** What the VMM returned: the first block's address, or `null` when no run was long enough. */
  readonly address: number | null;
  /** The blocks after the step: `.` free, else the allocation's character (`1`–`9`, `A`–`Z`). */
  readonly freeMap: string;
}

/** `free(aN)`. */
export interface FreeRequestStep {
  /** `"free"`. */
  readonly op: "free";
  /** The allocation freed. */
  readonly name: string;
  /** Its address. */
  readonly address: number;
  /** The blocks after the step (see {@link AllocRequestStep.freeMap}). */
  readonly freeMap: string;
}

/** An allocator exercise: the VMM's range and the requests with their answers. */
export interface AllocExercise {
  /** The seed that drew the requests. */
  readonly seed: number;
  /** The VMM's first address. */
  readonly start: number;
  /** The VMM's end (exclusive). */
  readonly end: number;
  /** Bytes per block. */
  readonly blockSize: number;
  /** The requests, with their answers. */
  readonly steps: readonly AllocStep[];
}

/**
 * Generates an allocator exercise: `count` alloc/free requests (allocations named a1, a2, …)
 * run against a fresh first-fit {@link VirtualMemoryManager} of 16 blocks; each answer is
 * the address `alloc` returned (or `null`) and the free map after the step.
 *
 * @throws {QuizError} `InvalidSeed`, `InvalidCount` (1–30).
 * @example
 * generateAllocExercise({ seed: 1 }).steps[0]; // { op: "alloc", name: "a1", blocks: …, address: 0x00400000, … }
 */
export function generateAllocExercise(options: { readonly seed: number; readonly count?: number }): AllocExercise {
  const seed = checkSeed(options.seed);
  const count = checkCount(options.count ?? DEFAULT_ALLOC_REQUESTS, MAX_ALLOC_REQUESTS, "requests");
  const choose = new Chooser(seed);
  const end = ALLOC_QUIZ_START + ALLOC_QUIZ_BLOCKS * BLOCK_SIZE;
  const pmm = new PhysicalMemoryManager({ memoryBytes: 2 * ALLOC_QUIZ_BLOCKS * BLOCK_SIZE });
  const vmm = new VirtualMemoryManager<null>({ start: ALLOC_QUIZ_START, end, pmm, mapper: new NullMapper(), payload: null });
  const attrs = { kernel: false, writable: true, cachable: true };
  const live: { name: string; address: number; char: string }[] = [];
  const owners = new Map<number, string>();
  const steps: AllocStep[] = [];
  let allocs = 0;
  const freeMap = (): string =>
    Array.from({ length: ALLOC_QUIZ_BLOCKS }, (_, i) => {
      const block = ALLOC_QUIZ_START + i * BLOCK_SIZE;
      return vmm.isSet(block) ? (owners.get(vmm.allocationAt(block)?.virtual.start ?? -1) ?? "?") : FREE_CHAR;
    }).join("");
  for (let i = 0; i < count; i++) {
    if (live.length > 0 && choose.chance(2, 5)) {
      const victim = live.splice(choose.int(live.length), 1)[0]!;
      vmm.free(victim.address);
      owners.delete(victim.address);
      steps.push({ op: "free", name: victim.name, address: victim.address, freeMap: freeMap() });
      continue;
    }
    const blocks = choose.between(1, MAX_REQUEST_BLOCKS);
    const char = MAP_CHARS[allocs] ?? "?";
    const name = `a${++allocs}`;
    const address = vmm.alloc(blocks, attrs);
    if (address !== null) {
      live.push({ name, address, char });
      owners.set(address, char);
    }
    steps.push({ op: "alloc", name, blocks, address, freeMap: freeMap() });
  }
  return { seed, start: ALLOC_QUIZ_START, end, blockSize: BLOCK_SIZE, steps };
}

function request(step: AllocStep): string {
  return step.op === "alloc" ? `${step.name} = alloc(${step.blocks})` : `free(${step.name})`;
}

/**
 * The exercise as text: the allocator, the requests, and with `answers` each returned
 * address and the free map after every step.
 */
export function renderAllocExercise(exercise: AllocExercise, options: { readonly answers: boolean }): string {
  const blocks = (exercise.end - exercise.start) / exercise.blockSize;
  const lines = [
    `A first-fit allocator over ${blocks} blocks of 4 KiB, ${hexRange(exercise.start, exercise.end)} (kmem's VirtualMemoryManager: alloc takes the lowest run of free blocks that fits).`,
    "Predict what each alloc returns: its address, or null when no run of free blocks is long enough. free(aN) frees what aN got.",
    ...exercise.steps.map((step, i) => `${String(i + 1).padStart(NUMBER_WIDTH)}. ${request(step)}`),
  ];
  if (options.answers) {
    const width = Math.max(...exercise.steps.map((step) => request(step).length));
    lines.push("", `Answers (the free map after each step: one character per block from ${hex(exercise.start)}, "." free, 1-9 and A-Z the allocation a1, a2, ...):`);
    for (const [i, step] of exercise.steps.entries()) {
      const result = step.op === "alloc" ? (step.address === null ? "null" : hex(step.address)) : "";
      lines.push(`${String(i + 1).padStart(NUMBER_WIDTH)}. ${request(step).padEnd(width)}  ${(result === "" ? "" : `-> ${result}`).padEnd("-> 0x00000000".length)}  ${step.freeMap}`);
    }
  }
  return lines.join("\n") + "\n";
}

/** `kmem quiz alloc --json`: the stable object documented in docs/cli.md. */
export function allocJson(exercise: AllocExercise, options: { readonly answers: boolean }): object {
  const requests = exercise.steps.map((step) => (step.op === "alloc" ? { op: "alloc", name: step.name, blocks: step.blocks } : { op: "free", name: step.name }));
  const base = { quiz: "alloc", seed: exercise.seed, start: hex(exercise.start), end: hex(exercise.end), blockSize: exercise.blockSize, requests };
  if (!options.answers) return base;
  const answers = exercise.steps.map((step) => ({
    address: step.op === "alloc" ? (step.address === null ? null : hex(step.address)) : hex(step.address),
    freeMap: step.freeMap,
  }));
  return { ...base, answers };
}
