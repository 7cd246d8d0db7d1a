import type { Address, Range } from "../../types.js";
import { Chooser } from "../choice.js";
import { checkCount, checkSeed } from "../options.js";
import type { QuizAccess, QuizArch, QuizMachine, QuizTable, QuizWalk } from "./arch.js";
import { resolveQuizArch } from "./arches.js";

/** The most questions one translation exercise asks. */
export const MAX_TRANSLATE_QUESTIONS = 40;
/** Questions asked when no count is given. */
export const DEFAULT_TRANSLATE_QUESTIONS = 8;

/** What a question is meant to exercise (the MMU's walk decides the answer). */
export type QuestionKind = "valid" | "not-present" | "user-kernel" | "read-only";

/**
 * The mix of kinds, cycled and then shuffled: any four questions cover every kind, and
 * about four in ten translate.
 */
const KIND_CYCLE: readonly QuestionKind[] = ["valid", "not-present", "user-kernel", "read-only", "valid", "not-present", "valid", "read-only", "user-kernel", "valid"];

/** A region of the generated address space (the answer key's map). */
export interface QuizRegion {
  /** `user code`, `user data`, `user stack`, `kernel code` or `kernel data`. */
  readonly label: string;
  /** First virtual address. */
  readonly start: Address;
  /** End (exclusive). */
  readonly end: Address;
  /** User mode may access it. */
  readonly user: boolean;
  /** It may be written. */
  readonly writable: boolean;
  /** Pages of the region left not present (reserved, not yet faulted in). */
  readonly notPresent: readonly Address[];
}

/** One question and its answer. */
export interface TranslateQuestion {
  /** 1-based. */
  readonly number: number;
  /** The virtual address to translate. */
  readonly vaddr: Address;
  /** The access: user or supervisor, read or write. */
  readonly access: QuizAccess;
  /** What the question was drawn to exercise. */
  readonly kind: QuestionKind;
  /** The MMU's walk: the answer. */
  readonly answer: QuizWalk;
}

/** A whole translation exercise: the machine as the student sees it, the questions, the answers. */
export interface TranslateExercise {
  /** The paging mode's adapter. */
  readonly arch: QuizArch<Address>;
  /** The seed it was generated from. */
  readonly seed: number;
  /** The root table's physical address (what `arch.rootRegister` holds). */
  readonly root: number;
  /** The paging-structure pages, root first, as they are in RAM. */
  readonly tables: readonly QuizTable[];
  /** The address space generated (the answer key's map). */
  readonly regions: readonly QuizRegion[];
  /** The accesses to translate, with their answers. */
  readonly questions: readonly TranslateQuestion[];
}

/** Options of {@link generateTranslateExercise}. */
export interface TranslateQuizOptions {
  /** The paging mode (default `x86`). */
  readonly arch?: string;
  /** Unsigned 32-bit seed: the same seed gives the same exercise, on every machine and version. */
  readonly seed: number;
  /** Questions to ask (default 8, at most 40). */
  readonly count?: number;
}

interface RegionTemplate {
  readonly label: string;
  readonly user: boolean;
  readonly writable: boolean;
  /** Which table span of its half it goes in (0 or 1). */
  readonly span: number;
}

const TEMPLATES: readonly RegionTemplate[] = [
  { label: "user code", user: true, writable: false, span: 0 },
  { label: "user data", user: true, writable: true, span: 0 },
  { label: "user stack", user: true, writable: true, span: 1 },
  { label: "kernel code", user: false, writable: false, span: 0 },
  { label: "kernel data", user: false, writable: true, span: 0 },
];

const MIN_REGION_PAGES = 1;
const MAX_REGION_PAGES = 4;
/** Free pages left between regions of one table: at least one, so the page after a region is not present. */
const MAX_GAP_PAGES = 8;

/** A region in page numbers, while the space is built. */
interface PlacedRegion {
  readonly template: RegionTemplate;
  readonly first: number;
  readonly pages: number;
  readonly absent: ReadonlySet<number>;
}

/**
 * Generates a translation exercise: a small random address space (user and kernel regions,
 * read-only and writable, some pages not present) built through the mode's Mapper in fresh
 * RAM, and `count` accesses to translate, answered by the mode's MMU. Deterministic: the
 * seed alone decides everything.
 *
 * @throws {QuizError} `UnsupportedArch` (a mode without an exercise yet, or no mode at all),
 * `InvalidSeed`, `InvalidCount`.
 * @example
 * const exercise = generateTranslateExercise({ seed: 42, count: 4 });
 * exercise.questions[0].answer.physical; // a physical address, or null for a fault
 */
export function generateTranslateExercise(options: TranslateQuizOptions): TranslateExercise {
  const arch = resolveQuizArch(options.arch ?? "x86");
  const seed = checkSeed(options.seed);
  const count = checkCount(options.count ?? DEFAULT_TRANSLATE_QUESTIONS, MAX_TRANSLATE_QUESTIONS, "questions");
  const choose = new Chooser(seed);
  const machine = arch.createMachine(choose);
  const regions = placeRegions(arch, choose);
  for (const region of regions) mapRegion(arch, machine, region);
  const tables = machine.tables();
  const kinds = choose.shuffle(Array.from({ length: count }, (_, i) => KIND_CYCLE[i % KIND_CYCLE.length] as QuestionKind));
  const questions = kinds.map((kind, i): TranslateQuestion => {
    const { page, access } = pickQuestion(kind, arch, regions, choose);
    const vaddr = arch.address(page, choose.int(arch.pageBytes));
    return { number: i + 1, vaddr, access, kind, answer: machine.walk(vaddr, access) };
  });
  return {
    arch,
    seed,
    root: machine.root,
    tables,
    regions: regions.map((r) => ({
      label: r.template.label,
      start: arch.address(r.first, 0),
      end: arch.address(r.first + r.pages, 0),
      user: r.template.user,
      writable: r.template.writable,
      notPresent: [...r.absent].map((page) => arch.address(page, 0)),
    })),
    questions,
  };
}

/** Table spans (last-level-table-sized, aligned runs of pages) of `half`, as span numbers. */
function spanRange(arch: QuizArch<Address>, half: Range): Range {
  return { start: Math.ceil(half.start / arch.pagesPerTable), end: Math.floor(half.end / arch.pagesPerTable) };
}

/** Two distinct random spans of `half`. */
function pickSpans(arch: QuizArch<Address>, half: Range, choose: Chooser): [number, number] {
  const spans = spanRange(arch, half);
  const size = spans.end - spans.start;
  const first = choose.int(size);
  const second = (first + 1 + choose.int(size - 1)) % size;
  return [spans.start + first, spans.start + second];
}

function placeRegions(arch: QuizArch<Address>, choose: Chooser): PlacedRegion[] {
  const userSpans = pickSpans(arch, arch.userPages, choose);
  const kernelSpans = pickSpans(arch, arch.kernelPages, choose);
  const withStack = choose.chance(1, 2);
  const templates = TEMPLATES.filter((t) => withStack || t.label !== "user stack");
  // Each span's regions go one after the other from a random quarter of the table, with gaps.
  const cursors = new Map<number, number>();
  return templates.map((template) => {
    const span = (template.user ? userSpans : kernelSpans)[template.span] ?? 0;
    const base = span * arch.pagesPerTable;
    const cursor = cursors.get(span) ?? base + choose.int(arch.pagesPerTable / 4);
    const pages = choose.between(MIN_REGION_PAGES, MAX_REGION_PAGES);
    const first = cursor + 1 + choose.int(MAX_GAP_PAGES);
    cursors.set(span, first + pages);
    const absent = new Set<number>();
    if (pages > 1 && choose.chance(1, 3)) absent.add(first + choose.int(pages));
    return { template, first, pages, absent };
  });
}

function mapRegion(arch: QuizArch<Address>, machine: QuizMachine<Address>, region: PlacedRegion): void {
  const attrs = { kernel: !region.template.user, writable: region.template.writable, cachable: true };
  for (let page = region.first; page < region.first + region.pages; page++) {
    if (region.absent.has(page)) continue;
    const frame = machine.takeFrame();
    machine.mapper.map(arch.address(page, 0), arch.address(page + 1, 0), arch.address(frame, 0), arch.address(frame + 1, 0), attrs, machine.root);
  }
}

function presentPages(region: PlacedRegion): number[] {
  return Array.from({ length: region.pages }, (_, i) => region.first + i).filter((page) => !region.absent.has(page));
}

/** A page and an access meant to produce `kind`. */
function pickQuestion(kind: QuestionKind, arch: QuizArch<Address>, regions: readonly PlacedRegion[], choose: Chooser): { page: number; access: QuizAccess } {
  switch (kind) {
    case "valid": {
      const region = choose.pick(regions);
      const user = region.template.user && choose.chance(2, 3);
      return { page: choose.pick(presentPages(region)), access: { user, write: region.template.writable && choose.chance(1, 2) } };
    }
    case "user-kernel": {
      const region = choose.pick(regions.filter((r) => !r.template.user));
      return { page: choose.pick(presentPages(region)), access: { user: true, write: choose.chance(1, 2) } };
    }
    case "read-only": {
      const region = choose.pick(regions.filter((r) => !r.template.writable));
      return { page: choose.pick(presentPages(region)), access: { user: region.template.user && choose.chance(1, 2), write: true } };
    }
    case "not-present":
      return notPresentQuestion(arch, regions, choose);
  }
}

/** A page in a table that exists but does not map it (a hole, or the page after a region), or a page whose table does not exist. */
function notPresentQuestion(arch: QuizArch<Address>, regions: readonly PlacedRegion[], choose: Chooser): { page: number; access: QuizAccess } {
  const usedSpans = new Set(regions.map((r) => Math.floor(r.first / arch.pagesPerTable)));
  let page: number;
  if (choose.chance(1, 2)) {
    const region = choose.pick(regions);
    page = region.absent.size > 0 && choose.chance(1, 2) ? ([...region.absent][0] ?? region.first) : region.first + region.pages;
  } else {
    const half = choose.chance(1, 2) ? arch.userPages : arch.kernelPages;
    const spans = spanRange(arch, half);
    let span = spans.start + choose.int(spans.end - spans.start);
    while (usedSpans.has(span)) span = span + 1 < spans.end ? span + 1 : spans.start;
    page = span * arch.pagesPerTable + choose.int(arch.pagesPerTable);
  }
  const user = page < arch.userPages.end && choose.chance(2, 3);
  return { page, access: { user, write: choose.chance(1, 2) } };
}
