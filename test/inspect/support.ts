import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { x86Codec } from "../../src/arch/x86/codec.js";
import { CR0_PG, CR0_WP, CR4_LA57, CR4_PAE } from "../../src/arch/x86/entry64.js";
import { DumpMemory } from "../../src/inspect/dump-memory.js";
import { bytesSource } from "../../src/inspect/source.js";
import { TableMapper } from "../../src/paging/table-mapper.js";
import { PhysicalMemory } from "../../src/ram.js";
import type { Attributes } from "../../src/types.js";
import { TestFrames } from "../arch/x86/support.js";
import { writeCore } from "../helpers/elf-core.js";

export const MIB = 1024 * 1024;
/** RAM of the test machines. */
export const RAM_BYTES = 8 * MIB;
/** Where table frames come from. */
export const TABLES_BASE = 0x10_0000;

export const KERNEL_RO_X: Attributes = { kernel: true, writable: false, cachable: true, executable: true, global: true };
export const KERNEL_RW_NX: Attributes = { kernel: true, writable: true, cachable: true, executable: false, global: true };
export const KERNEL_RW_X: Attributes = { kernel: true, writable: true, cachable: true, executable: true };
export const USER_RW_NX: Attributes = { kernel: false, writable: true, cachable: true, executable: false };
export const USER_RO_X: Attributes = { kernel: false, writable: false, cachable: true, executable: true };

/** A machine built with kmem's TableMapper in `mode`, tables from 0x100000 up. */
export function longModeMachine(mode: "x86-64" | "x86-64-la57" = "x86-64", largePages = false) {
  const ram = new PhysicalMemory(RAM_BYTES);
  const mapper = new TableMapper({ codec: x86Codec(mode), bus: ram, frames: new TestFrames(TABLES_BASE, 256), largePages });
  const root = mapper.createRoot();
  return { ram, mapper, root, cr4: mode === "x86-64-la57" ? CR4_PAE | CR4_LA57 : CR4_PAE };
}

/** The dump of `ram` as a DumpMemory (one segment at 0). */
export function memoryOf(ram: PhysicalMemory): DumpMemory {
  return new DumpMemory(bytesSource(ram.bytes), [{ physical: 0, offset: 0, fileBytes: ram.size, memoryBytes: ram.size }]);
}

/** A scratch directory for dump files. */
export function scratch(): string {
  return mkdtempSync(join(tmpdir(), "kmem-inspect-test-"));
}

/** Writes `ram` as a QEMU-style ELF64 long-mode core (CR0.PG|WP, `cr4`, CR3 = `root`) and returns its path. */
export function writeLongModeCore(dir: string, ram: PhysicalMemory, root: number, cr4: number, name = "vm.core"): string {
  const path = join(dir, name);
  writeFileSync(path, writeCore({ elfClass: 64, machine: 62, registers: { cr0: CR0_PG | CR0_WP, cr3: root, cr4 }, segments: [{ physical: 0, bytes: ram.bytes }] }));
  return path;
}
