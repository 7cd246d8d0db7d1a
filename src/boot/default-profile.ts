import type { MemoryProfile } from "./profile.js";

/**
 * The built-in machine `kmem boot` uses without `--profile`: a 128 MiB PC as QEMU's SeaBIOS
 * describes it, running a higher-half kernel. `profiles/default.json` is the same profile as JSON.
 *
 * - Firmware map: low memory up to the EBDA at 0x0009FC00; the legacy hole (EBDA, VGA window,
 *   option and BIOS ROMs) up to 1 MiB; RAM from 1 MiB to 0x07FE0000; ACPI tables in the top
 *   128 KiB; the BIOS flash just below 4 GiB (beyond RAM, listed as real firmware maps do).
 * - Kernel: a 1.2 MiB image loaded at 1 MiB and linked at 0xC0100000 (offset 0xC0000000), its
 *   end not page-aligned, as an ELF `_end` symbol usually is.
 * - An initrd module after the kernel's 1 MiB early-allocation area, mapped at kernel offset.
 * - The VGA text buffer (0x000B8000, 32 KiB) mapped at 0xC00B8000.
 */
export const DEFAULT_PROFILE: MemoryProfile = Object.freeze({
  description: "128 MiB PC (QEMU/SeaBIOS firmware map), higher-half kernel at 0xC0100000 loaded at 1 MiB",
  memoryBytes: 0x0800_0000,
  memoryMap: Object.freeze([
    Object.freeze({ start: 0x0000_0000, end: 0x0009_fc00, type: "available" as const }),
    Object.freeze({ start: 0x0009_fc00, end: 0x0010_0000, type: "reserved" as const }),
    Object.freeze({ start: 0x0010_0000, end: 0x07fe_0000, type: "available" as const }),
    Object.freeze({ start: 0x07fe_0000, end: 0x0800_0000, type: "reserved" as const }),
    Object.freeze({ start: 0xfffc_0000, end: 0x1_0000_0000, type: "reserved" as const }),
  ]),
  kernel: Object.freeze({
    physStart: 0x0010_0000,
    physEnd: 0x0022_e7c0,
    virtStart: 0xc010_0000,
    virtEnd: 0xc022_e7c0,
  }),
  modules: Object.freeze([Object.freeze({ name: "initrd", physStart: 0x0034_0000, physEnd: 0x0039_c800 })]),
  virtualReserved: Object.freeze([
    Object.freeze({ virtStart: 0xc00b_8000, virtEnd: 0xc00c_0000, physStart: 0x000b_8000, label: "VGA text buffer" }),
  ]),
});
