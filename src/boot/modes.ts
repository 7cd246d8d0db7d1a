import { GEOMETRIES, type ModeName } from "../paging/geometry.js";

/** The paging modes boot builds with the generic table mapper: every mode but 32-bit `x86` (which keeps its own boot). */
export type PagingModeName = Exclude<ModeName, "x86">;

/** The modes of {@link PagingModeName}, in the SPEC's order. */
export const PAGING_MODES: readonly PagingModeName[] = ["x86-pae", "x86-64", "x86-64-la57", "riscv-sv32", "riscv-sv39", "riscv-sv48", "riscv-sv57"];

/** What boot needs to know of a mode besides its geometry and codec: the kernel VMM's range and the address type. */
export interface ModeSpec {
  /** The mode. */
  readonly name: PagingModeName;
  /** The architecture family: which MMU and which registers. */
  readonly family: "x86" | "riscv";
  /** Addresses need 64 bits: the kernel VMM takes `bigint`s and JSON writes them as `"0x…"` strings. */
  readonly wide: boolean;
  /** The first address of the kernel VMM: the upper (kernel) half in 64-bit modes, 0x1000 in 32-bit ones. */
  readonly vmmStart: bigint;
  /** The end (exclusive) of the kernel VMM: 2^64 or 2^32. */
  readonly vmmEnd: bigint;
}

const TWO_64 = 1n << 64n;
const TWO_32 = 1n << 32n;
const FIRST_PAGE = 0x1000n;

/** The kernel half of a sign-extended space of `vaBits` bits: `[2^64 - 2^(vaBits-1), 2^64)`. */
function upperHalf(name: PagingModeName, family: "x86" | "riscv"): ModeSpec {
  return { name, family, wide: true, vmmStart: TWO_64 - (1n << BigInt(GEOMETRIES[name].vaBits - 1)), vmmEnd: TWO_64 };
}

/**
 * Every mode's {@link ModeSpec}. 64-bit modes manage the kernel half (x86-64: from
 * 0xFFFF800000000000, LA57 and Sv57: 0xFF00000000000000, Sv39: 0xFFFFFFC000000000); 32-bit
 * modes all of 32-bit space but the null page, as 32-bit x86 does.
 */
export const MODE_SPECS: Readonly<Record<PagingModeName, ModeSpec>> = {
  "x86-pae": { name: "x86-pae", family: "x86", wide: false, vmmStart: FIRST_PAGE, vmmEnd: TWO_32 },
  "x86-64": upperHalf("x86-64", "x86"),
  "x86-64-la57": upperHalf("x86-64-la57", "x86"),
  "riscv-sv32": { name: "riscv-sv32", family: "riscv", wide: false, vmmStart: FIRST_PAGE, vmmEnd: TWO_32 },
  "riscv-sv39": upperHalf("riscv-sv39", "riscv"),
  "riscv-sv48": upperHalf("riscv-sv48", "riscv"),
  "riscv-sv57": upperHalf("riscv-sv57", "riscv"),
};

/** Whether `name` is a mode {@link PAGING_MODES} lists. */
export function isPagingMode(name: unknown): name is PagingModeName {
  return typeof name === "string" && (PAGING_MODES as readonly string[]).includes(name);
}
