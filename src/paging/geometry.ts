/**
 * Table geometry of every paging mode kmem knows: how many levels, how many index bits
 * each level takes from the virtual address, the entry size, the virtual-address width and
 * where leaves may sit. Pure data; the entry codecs and permission rules live in
 * `src/arch/<family>/`.
 *
 * Levels are numbered from the leaf table up: level 0 is the last table walked (x86 PT,
 * RISC-V level 0), level `levels - 1` the root (x86 PML4/PML5/PDPT/PD, RISC-V root).
 * A leaf at level `l` maps a page of 2^{@link levelShift}(l) bytes.
 */

/** The mode names used in profiles (`"arch"`), CLI flags (`--arch`) and JSON. */
export type ModeName = "x86" | "x86-pae" | "x86-64" | "x86-64-la57" | "riscv-sv32" | "riscv-sv39" | "riscv-sv48" | "riscv-sv57";

/** Every mode name, in the SPEC's order. */
export const MODE_NAMES: readonly ModeName[] = ["x86", "x86-pae", "x86-64", "x86-64-la57", "riscv-sv32", "riscv-sv39", "riscv-sv48", "riscv-sv57"];

/** Bytes in the smallest page of every mode (and in a table frame). */
export const PAGE_BYTES = 4096;
/** log2 of {@link PAGE_BYTES}: the page-offset width. */
export const PAGE_SHIFT = 12;

/** The shape of one mode's translation tables. */
export interface Geometry {
  /** The mode's name. */
  readonly name: ModeName;
  /** Tables walked for a 4 KiB page. */
  readonly levels: number;
  /** Index bits per level, leaf table first (`indexBits[0]` is level 0). */
  readonly indexBits: readonly number[];
  /** Bytes per entry: 4 (x86, Sv32) or 8. */
  readonly entryBytes: 4 | 8;
  /** Translated virtual-address bits (32, 39, 48, 57). */
  readonly vaBits: number;
  /** Whether addresses are 64-bit and must sign-extend bit `vaBits - 1` (canonical form). */
  readonly signExtended: boolean;
  /** Bit `l` set when a leaf (a large page) may sit at level `l > 0` (level 0 always maps pages). */
  readonly largeLevels: number;
}

function geometry(name: ModeName, indexBits: readonly number[], entryBytes: 4 | 8, largeLevels: readonly number[]): Geometry {
  const vaBits = PAGE_SHIFT + indexBits.reduce((a, b) => a + b, 0);
  return {
    name,
    levels: indexBits.length,
    indexBits,
    entryBytes,
    vaBits,
    signExtended: vaBits > 32,
    largeLevels: largeLevels.reduce((mask, level) => mask | (1 << level), 0),
  };
}

/**
 * The geometry of every mode: x86 (SDM vol. 3 §4.3: 10+10, 4-byte entries, 4 MiB PSE
 * pages), PAE (§4.4: 2+9+9, 2 MiB), 4- and 5-level (§4.5: 9 bits per level, 2 MiB and
 * 1 GiB pages), RISC-V Sv32/39/48/57 (privileged spec §10.3–10.6: a leaf at any level).
 */
export const GEOMETRIES: Readonly<Record<ModeName, Geometry>> = {
  x86: geometry("x86", [10, 10], 4, [1]),
  "x86-pae": geometry("x86-pae", [9, 9, 2], 8, [1]),
  "x86-64": geometry("x86-64", [9, 9, 9, 9], 8, [1, 2]),
  "x86-64-la57": geometry("x86-64-la57", [9, 9, 9, 9, 9], 8, [1, 2]),
  "riscv-sv32": geometry("riscv-sv32", [10, 10], 4, [1]),
  "riscv-sv39": geometry("riscv-sv39", [9, 9, 9], 8, [1, 2]),
  "riscv-sv48": geometry("riscv-sv48", [9, 9, 9, 9], 8, [1, 2, 3]),
  "riscv-sv57": geometry("riscv-sv57", [9, 9, 9, 9, 9], 8, [1, 2, 3, 4]),
};

/** The bit position where level `level`'s index starts in a virtual address (12, 21, 30…). */
export function levelShift(g: Geometry, level: number): number {
  let shift = PAGE_SHIFT;
  for (let l = 0; l < level; l++) shift += g.indexBits[l] ?? 0;
  return shift;
}

/** Bytes mapped by one entry at `level` (a leaf there maps a page this large). */
export function levelSpan(g: Geometry, level: number): number {
  return 2 ** levelShift(g, level);
}

/** Entries in a table at `level`. */
export function tableEntries(g: Geometry, level: number): number {
  return 2 ** (g.indexBits[level] ?? 0);
}

/** Whether `name` is a known mode name. */
export function isModeName(name: unknown): name is ModeName {
  return typeof name === "string" && (MODE_NAMES as readonly string[]).includes(name);
}
