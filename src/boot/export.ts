import type { Machine } from "./boot.js";
import type { Region } from "./layout.js";

/** `machine.json`: what another tool needs besides `ram.bin` to walk the same page tables. */
export interface ExportedMachine {
  /** Physical RAM in bytes (the length of `ram.bin`). */
  readonly memoryBytes: number;
  /** Load this into CR3. */
  readonly cr3: number;
  /** Whether CR4.PSE must be set (4 MiB pages may be present). */
  readonly cr4Pse: boolean;
  /** The address-space map, in virtual address order. */
  readonly regions: readonly Region[];
}

/** A machine as files: the whole physical memory image and its description. */
export interface MachineExport {
  /** Physical memory, byte-exact, `memoryBytes` long (a view of the machine's RAM, not a copy). */
  readonly ram: Uint8Array;
  /** What to load and where (`machine.json`). */
  readonly machine: ExportedMachine;
}

/**
 * Exports a booted machine for other tools (a debugger, QEMU): RAM holds the page directory
 * at `cr3` and its tables exactly as an x86 CPU would walk them.
 *
 * @example
 * const { ram, machine } = exportMachine(boot(DEFAULT_PROFILE));
 * ram.length === machine.memoryBytes; // true
 */
export function exportMachine(machine: Machine): MachineExport {
  return {
    ram: machine.ram.bytes,
    machine: {
      memoryBytes: machine.profile.memoryBytes,
      cr3: machine.cr3,
      cr4Pse: machine.cr4Pse,
      regions: machine.regions.map((r) => ({ ...r })),
    },
  };
}
