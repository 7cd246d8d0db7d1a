import type { ModeName } from "../paging/geometry.js";
import type { EntryCodec } from "../paging/mode.js";
import type { Address } from "../types.js";
import { riscvCodec } from "./riscv/codec.js";
import { x86Codec } from "./x86/codec.js";

/**
 * The entry codec of any paging mode (x86 codecs with their default options: NX on in the
 * 64-bit-entry modes), for code that handles every mode alike — printing walks, checking
 * against QEMU. Its address type is the mode's (`bigint` for 64-bit modes), erased here.
 *
 * @example
 * entryCodecFor("riscv-sv39").isLeaf(0xcf, 0, 1); // true: R|W|X set
 */
export function entryCodecFor(mode: ModeName): EntryCodec<Address> {
  switch (mode) {
    case "x86":
    case "x86-pae":
      return x86Codec(mode);
    case "x86-64":
    case "x86-64-la57":
      return x86Codec(mode);
    case "riscv-sv32":
      return riscvCodec(mode);
    default:
      return riscvCodec(mode);
  }
}
