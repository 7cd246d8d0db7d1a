import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { hex } from "../../format.js";
import { BLOCK_SIZE } from "../../types.js";
import { guestCacheDirectory } from "./cache-directory.js";
import { QemuError } from "./qemu-error.js";

/** Pages of probe records after the guest's image page (`PROBE_PAGES` in qemu/guest.asm). */
export const PROBE_PAGES = 30;
/** Bytes per probe record: address|tag, then value and fault codes of ring-0 and ring-3 accesses. */
export const PROBE_RECORD_BYTES = 32;
/** The most probes one run can make. */
export const PROBE_CAPACITY = (PROBE_PAGES * BLOCK_SIZE) / PROBE_RECORD_BYTES;
/** A probe record's fields as byte offsets (see qemu/guest.asm). */
export const PROBE_FIELD = { vaddr: 0, value: 4, read: 8, write: 12, userValue: 16, userRead: 20, userWrite: 24 } as const;
/** Probe `vaddr` bit 0: the guest tags the expected frame before paging. */
export const PROBE_TAG_FLAG = 1;
/** What a probe's fault field holds when the access did not fault. */
export const NO_FAULT = 0xffff_ffff;
/** Or-ed into a recorded error code when CR2 was not the probe's address. */
export const CR2_MISMATCH = 0x100;
/** Shift of a frame's bits 32–39 inside its tag (a frame is 4 KiB-aligned, so bits 1–11 of its low word are free). */
const TAG_HIGH_SHIFT = 4;
/** 2^32: where a frame's high bits (PSE-36) start. */
const HIGH_FRAME_BASE = 2 ** 32;

/**
 * The tag at the start of a probed frame: its address with bit 0 set; for a frame above 4 GiB
 * (reached through a PSE-36 4 MiB page) its bits 32–39 also go into bits 4–11, so no two
 * frames share a tag. The guest writes the tags of frames below 4 GiB; QEMU's loader places
 * those above.
 *
 * @example
 * frameTag(0x0010_0000); // 0x00100001
 * frameTag(0x1_0040_0000); // 0x00400011
 */
export function frameTag(frame: number): number {
  return ((frame % HIGH_FRAME_BASE) | PROBE_TAG_FLAG | (Math.floor(frame / HIGH_FRAME_BASE) << TAG_HIGH_SHIFT)) >>> 0;
}

/**
 * Bytes of physical memory QEMU writes for the guest, all of which kmem must identity-map:
 * the image page (code, data, stack), the probe pages (zeroed by QEMU as bss), and one page
 * where QEMU's multiboot loader appends the command line and boot-loader name.
 */
export const GUEST_AREA_BYTES = (1 + PROBE_PAGES + 1) * BLOCK_SIZE;
/** Offset of the probe records from the guest's base. */
export const PROBE_TABLE_OFFSET = BLOCK_SIZE;

/** The lowest address the guest may load at: the firmware owns the first MiB. */
export const GUEST_MIN_ADDRESS = 0x10_0000;

/** Offset of the configuration block in the guest image (after the 32-byte multiboot header). */
export const CONFIG_OFFSET = 32;
/** The configuration block's fields, as byte offsets from {@link CONFIG_OFFSET} (see qemu/guest.asm). */
export const CONFIG_FIELD = {
  magic: 0,
  cr3: 4,
  flags: 8,
  copyTable: 12,
  copyCount: 16,
  status: 20,
  probeCount: 24,
  probeTable: 28,
  userStub: 32,
  userPhys: 36,
  faultEip: 40,
  faultCr2: 44,
} as const;
/** The value of the configuration block's `magic` field ("KEMG"). */
export const CONFIG_MAGIC = 0x474d454b;
/** Config flag: set CR4.PSE (4 MiB pages). */
export const FLAG_PSE = 1 << 0;
/** Config flag: set CR0.WP (supervisor writes honour read-only pages). */
export const FLAG_WP = 1 << 1;
/** The guest's `status` word once it has entered and started copying the tables. */
export const STATUS_STARTED = 0x53544152;
/** The guest's `status` word just before it sets CR0.PG. */
export const STATUS_PAGING = 0x474e4950;
/** The guest's `status` word once every probe has run. */
export const STATUS_DONE = 0x454e4f44;
/** The guest's `status` word after an unexpected general-protection fault (`faultEip` says where). */
export const STATUS_GP = 0x50472321;
/** The guest's `status` word after a page fault outside a probe (`faultEip`, `faultCr2` say where). */
export const STATUS_STRAY_PF = 0x46502321;
/** Bytes per copy descriptor `{ dst, src, len }` the guest reads. */
export const COPY_DESCRIPTOR_BYTES = 12;
/** A copy descriptor's fields as byte offsets: destination, source (physical), length in bytes. */
export const COPY_FIELD = { dst: 0, src: 4, len: 8 } as const;

const WORD_BYTES = 4;

/** What the guest does once it runs: where the tables are staged and how to enable paging. */
export interface GuestConfig {
  /** The page directory's physical address, loaded into CR3. */
  readonly cr3: number;
  /** Set CR4.PSE (4 MiB pages honoured). */
  readonly pse: boolean;
  /** Set CR0.WP. */
  readonly wp: boolean;
  /** Physical address of the copy descriptors. */
  readonly copyTable: number;
  /** Number of copy descriptors. */
  readonly copyCount: number;
  /** Number of probe records staged at the guest's probe table. */
  readonly probeCount: number;
  /** A user-accessible page for the ring-3 stub (virtual address and frame), or `null`: ring 0 only. */
  readonly userPage: { readonly vaddr: number; readonly phys: number } | null;
}

/** Hex digits of the source's SHA-256 in a cached image's name. */
const SOURCE_HASH_CHARS = 16;

/** The package's `qemu/` directory (the guest's source), found from this module. */
export function qemuDirectory(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "qemu");
}

/**
 * Assembles qemu/guest.asm for load address `base` with nasm into the cache directory
 * ({@link guestCacheDirectory}, never the package) and returns the image bytes (reusing an
 * image built from the same source).
 *
 * @throws {QemuError} `GuestFailed` when the source is missing, no cache directory is writable, or nasm fails.
 */
export function buildGuest(base: number, nasm: string): Uint8Array {
  const dir = qemuDirectory();
  const source = join(dir, "guest.asm");
  if (!existsSync(source)) {
    throw new QemuError("GuestFailed", `Cannot build the QEMU guest: ${source} is missing`, { source });
  }
  // Keyed by the source's hash: installs of different versions may share one cache, and npm
  // gives every installed file the same old timestamp, so mtimes cannot tell builds apart.
  const sourceHash = createHash("sha256").update(readFileSync(source)).digest("hex").slice(0, SOURCE_HASH_CHARS);
  const output = join(guestCacheDirectory(), `guest-${sourceHash}-${hex(base).slice(2)}.bin`);
  if (!existsSync(output)) {
    const temporary = `${output}.${process.pid}.tmp`;
    try {
      execFileSync(nasm, ["-f", "bin", `-DGUEST_BASE=${hex(base)}`, "-o", temporary, source], { stdio: ["ignore", "ignore", "pipe"] });
    } catch (error) {
      const stderr = error instanceof Error && "stderr" in error ? String(error.stderr) : String(error);
      throw new QemuError("GuestFailed", `Cannot build the QEMU guest at ${hex(base)}: nasm failed: ${stderr.trim()}`, { base });
    }
    renameSync(temporary, output);
  }
  const image = new Uint8Array(readFileSync(output));
  if (image.length > BLOCK_SIZE || new DataView(image.buffer, image.byteOffset).getUint32(CONFIG_OFFSET + CONFIG_FIELD.probeTable, true) !== base + PROBE_TABLE_OFFSET) {
    throw new QemuError("GuestFailed", `Cannot use the QEMU guest built at ${output}: it is ${image.length} bytes or its probe table is not at ${hex(base + PROBE_TABLE_OFFSET)} (qemu/guest.asm and guest.ts disagree)`, { size: image.length });
  }
  return image;
}

/**
 * Returns a copy of the guest image with its configuration block filled in.
 *
 * @throws {QemuError} `GuestFailed` when the image has no configuration block.
 */
export function configureGuest(image: Uint8Array, config: GuestConfig): Uint8Array {
  const patched = image.slice();
  const view = new DataView(patched.buffer, patched.byteOffset, patched.byteLength);
  if (patched.length < CONFIG_OFFSET + CONFIG_FIELD.faultCr2 + WORD_BYTES || view.getUint32(CONFIG_OFFSET + CONFIG_FIELD.magic, true) !== CONFIG_MAGIC) {
    throw new QemuError("GuestFailed", "Cannot configure the QEMU guest: its image has no configuration block (rebuild qemu/guest.asm)", {});
  }
  const flags = (config.pse ? FLAG_PSE : 0) | (config.wp ? FLAG_WP : 0);
  view.setUint32(CONFIG_OFFSET + CONFIG_FIELD.cr3, config.cr3, true);
  view.setUint32(CONFIG_OFFSET + CONFIG_FIELD.flags, flags, true);
  view.setUint32(CONFIG_OFFSET + CONFIG_FIELD.copyTable, config.copyTable, true);
  view.setUint32(CONFIG_OFFSET + CONFIG_FIELD.copyCount, config.copyCount, true);
  view.setUint32(CONFIG_OFFSET + CONFIG_FIELD.probeCount, config.probeCount, true);
  view.setUint32(CONFIG_OFFSET + CONFIG_FIELD.userStub, config.userPage?.vaddr ?? 0, true);
  view.setUint32(CONFIG_OFFSET + CONFIG_FIELD.userPhys, config.userPage?.phys ?? 0, true);
  return patched;
}
