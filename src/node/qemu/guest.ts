import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { hex } from "../../format.js";
import { BLOCK_SIZE } from "../../types.js";
import { QemuError } from "./qemu-error.js";

/**
 * Bytes of physical memory QEMU writes for the guest: one page of image and one page
 * where QEMU's multiboot loader appends the command line and boot-loader name.
 * The profile must reserve (and identity-map) exactly this area.
 */
export const GUEST_AREA_BYTES = 2 * BLOCK_SIZE;

/** The lowest address the guest may load at: the firmware owns the first MiB. */
export const GUEST_MIN_ADDRESS = 0x10_0000;

/** Offset of the configuration block in the guest image (after the 32-byte multiboot header). */
export const CONFIG_OFFSET = 32;
/** The configuration block's fields, as byte offsets from {@link CONFIG_OFFSET} (see qemu/guest.asm). */
export const CONFIG_FIELD = { magic: 0, cr3: 4, flags: 8, copyTable: 12, copyCount: 16, status: 20 } as const;
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
}

/** The repository's `qemu/` directory (guest source and build output), found from this module. */
export function qemuDirectory(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "qemu");
}

/**
 * Assembles qemu/guest.asm for load address `base` with nasm into qemu/build/ and returns
 * the image bytes (reusing an image newer than the source).
 *
 * @throws {QemuError} `GuestFailed` when the source is missing or nasm fails.
 */
export function buildGuest(base: number, nasm: string): Uint8Array {
  const dir = qemuDirectory();
  const source = join(dir, "guest.asm");
  if (!existsSync(source)) {
    throw new QemuError("GuestFailed", `Cannot build the QEMU guest: ${source} is missing`, { source });
  }
  const buildDir = join(dir, "build");
  const output = join(buildDir, `guest-${hex(base).slice(2)}.bin`);
  if (!existsSync(output) || statSync(output).mtimeMs < statSync(source).mtimeMs) {
    mkdirSync(buildDir, { recursive: true });
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
  if (image.length > BLOCK_SIZE) {
    throw new QemuError("GuestFailed", `Cannot use the QEMU guest: its image is ${image.length} bytes, more than one page`, { size: image.length });
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
  if (patched.length < CONFIG_OFFSET + CONFIG_FIELD.status + WORD_BYTES || view.getUint32(CONFIG_OFFSET + CONFIG_FIELD.magic, true) !== CONFIG_MAGIC) {
    throw new QemuError("GuestFailed", "Cannot configure the QEMU guest: its image has no configuration block (rebuild qemu/guest.asm)", {});
  }
  const flags = (config.pse ? FLAG_PSE : 0) | (config.wp ? FLAG_WP : 0);
  view.setUint32(CONFIG_OFFSET + CONFIG_FIELD.cr3, config.cr3, true);
  view.setUint32(CONFIG_OFFSET + CONFIG_FIELD.flags, flags, true);
  view.setUint32(CONFIG_OFFSET + CONFIG_FIELD.copyTable, config.copyTable, true);
  view.setUint32(CONFIG_OFFSET + CONFIG_FIELD.copyCount, config.copyCount, true);
  return patched;
}
