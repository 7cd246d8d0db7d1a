import { Mmu } from "../../arch/x86/mmu.js";
import { boot, type Machine } from "../../boot/boot.js";
import { exportMachine } from "../../boot/export.js";
import type { MemoryProfile } from "../../boot/profile.js";
import { type Attributes, BLOCK_SIZE } from "../../types.js";
import type { ExpectEntries } from "./accessed-dirty.js";
import { expectedPages } from "./expected.js";
import type { ExpectAccesses } from "./probes.js";
import { tableFrames } from "./staging.js";
import { placeGuest, withGuest } from "./placement.js";
import { QemuError } from "./qemu-error.js";
import { findQemuTools } from "./tools.js";
import { applyRandomOperations, type RandomRunSummary } from "./random-ops.js";
import { checkWithQemu, type QemuCheckOptions, type QemuCheckResult, type UserPage } from "./verify.js";

/** The attributes of the page the guest's ring-3 stub runs from: user, read-only. */
const USER_STUB_ATTRS: Attributes = { kernel: false, writable: false, cachable: true };

/** Options for {@link checkMachineWithQemu}. */
export interface MachineCheckOptions extends QemuCheckOptions {
  /** A user page of the machine for the guest's ring-3 stub (without it, probes run in ring 0 only). */
  readonly userPage?: UserPage;
}

/** Options for {@link checkProfileWithQemu}. */
export interface ProfileCheckOptions extends QemuCheckOptions {
  /** Boot with 4 MiB pages (the guest sets CR4.PSE). Default false. */
  readonly largePages?: boolean;
  /** Seeded random `alloc`/`free` operations on the kernel VMM after boot (none by default). */
  readonly random?: {
    /** How many operations. */
    readonly count: number;
    /** The seed of their random choices. */
    readonly seed: number;
  };
  /** Where the guest goes (default: chosen by `placeGuest`). */
  readonly guestBase?: number;
}

/** A profile check's result: the comparison plus what was run. */
export interface ProfileCheckResult extends QemuCheckResult {
  /** The guest's area start (identity-mapped, reserved in the profile). */
  readonly guestBase: number;
  /** What the random operations did, or `null` when none ran. */
  readonly random: RandomRunSummary | null;
  /** The user page (read-only) allocated in the kernel VMM for the guest's ring-3 stub. */
  readonly userPage: UserPage;
  /** The machine that was checked (booted from the profile plus the guest's reservation). */
  readonly machine: Machine;
}

/**
 * Runs `use` on a fresh MMU (empty TLB, CR0.WP set) over the machine's RAM, then restores the
 * page-table frames, so the accessed/dirty bits its walks set do not stay behind.
 */
function withScratchMmu<T>(machine: Machine, use: (mmu: Mmu, tableFrames: readonly number[]) => T): T {
  const frames = tableFrames(machine.ram.bytes, machine.cr3, machine.cr4Pse);
  const saved = frames.map((frame) => ({ frame, bytes: machine.ram.readBytes(frame, BLOCK_SIZE) }));
  try {
    return use(new Mmu({ ram: machine.ram, cr3: machine.cr3, pse: machine.cr4Pse, wp: true }), frames);
  } finally {
    for (const { frame, bytes } of saved) machine.ram.writeBytes(frame, bytes);
  }
}

/**
 * kmem's answers for ring-0 and ring-3 accesses with CR0.WP set, from a fresh MMU (empty TLB) walking the
 * machine's RAM; the page-table frames are restored afterwards, so the accessed/dirty bits the
 * walk sets do not stay behind.
 */
export function accessOracle(machine: Machine): ExpectAccesses {
  return (accesses) => withScratchMmu(machine, (mmu) => accesses.map((access) => mmu.tryTranslate(access.vaddr, { write: access.write, user: access.user })));
}

/**
 * kmem's paging entries after a fresh MMU (empty TLB, CR0.WP set) made `accesses` in order
 * over the machine's RAM: the table frames are copied before they are restored.
 */
export function entriesOracle(machine: Machine): ExpectEntries {
  return (accesses) => {
    const after = withScratchMmu(machine, (mmu, frames) => {
      for (const access of accesses) mmu.tryTranslate(access.vaddr, { write: access.write, user: access.user });
      return new Map(frames.map((frame) => [frame, new DataView(machine.ram.readBytes(frame, BLOCK_SIZE).buffer)]));
    });
    return (address) => after.get(address - (address % BLOCK_SIZE))?.getUint32(address % BLOCK_SIZE, true) ?? machine.ram.read32(address);
  };
}

/**
 * Checks a booted machine's kernel address space in QEMU: exports it, runs the guest at
 * `guestBase` (which the machine must identity-map), compares every page with
 * {@link expectedPages} (the profile's frames and U/S, R/W, PCD where it maps a region, kmem's
 * tables elsewhere), every real access of the guest with kmem's MMU, and the accessed and
 * dirty bits those accesses leave in the tables.
 *
 * @throws {QemuError} as `checkWithQemu`.
 */
export function checkMachineWithQemu(machine: Machine, guestBase: number, options: MachineCheckOptions = {}): Promise<QemuCheckResult> {
  const exported = exportMachine(machine);
  return checkWithQemu(
    {
      ram: exported.ram,
      memoryBytes: exported.machine.memoryBytes,
      cr3: exported.machine.cr3,
      pse: exported.machine.cr4Pse,
      wp: true,
      expected: expectedPages(machine),
      guestBase,
      expectAccesses: accessOracle(machine),
      expectEntries: entriesOracle(machine),
      ...(options.userPage === undefined ? {} : { userPage: options.userPage }),
    },
    options,
  );
}

/**
 * Boots `profile` plus a reservation for the QEMU guest, optionally runs seeded random
 * operations on the kernel VMM, allocates one user read-only page for the guest's ring-3 stub,
 * and checks every present page and the guest's ring-0 and ring-3 accesses against QEMU.
 *
 * @throws {QemuError} `QemuMissing` first, before booting; `GuestCollision` when the guest cannot be placed; others as `checkWithQemu`.
 * @throws ProfileError `InvalidProfile` when the profile cannot boot.
 * @example
 * const result = await checkProfileWithQemu(DEFAULT_PROFILE, { random: { count: 300, seed: 7 } });
 * result.ok; // true: QEMU walks kmem's tables to the same pages
 */
export async function checkProfileWithQemu(profile: MemoryProfile, options: ProfileCheckOptions = {}): Promise<ProfileCheckResult> {
  const tools = options.tools ?? findQemuTools();
  const guestBase = options.guestBase ?? placeGuest(profile);
  const withReservation = withGuest(profile, guestBase);
  const machine = boot(withReservation, { largePages: options.largePages ?? false });
  const random = options.random === undefined ? null : applyRandomOperations(machine.vmm, options.random);
  const stub = machine.vmm.alloc(1, USER_STUB_ATTRS);
  if (stub === null) {
    throw new QemuError("UnsupportedMachine", "Cannot allocate a user page for the QEMU guest's ring-3 stub: the kernel VMM or the PMM is full", {});
  }
  const userPage = { vaddr: stub, phys: machine.vmm.virtToPhys(stub) };
  const result = await checkMachineWithQemu(machine, guestBase, { ...options, tools, userPage });
  return { ...result, guestBase, random, userPage, machine };
}
