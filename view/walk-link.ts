import { hex } from "../src/format.js";
import type { AccessKind } from "./model.js";

/** A walk named by the page's URL: `#walk=0xC0100010&user&write`. */
export interface WalkLink {
  readonly vaddr: number;
  readonly access: AccessKind;
}

const WALK_KEY = "walk";
const FLAGS = ["user", "write", "fetch"] as const;
const MAX_VADDR = 0xffffffff;
/** What the address may be: `0x…` hex or decimal (the walk form's syntax, without its `_` separators). */
const NUMBER = /^(0[xX][0-9a-fA-F]+|[0-9]+)$/;

/**
 * The walk a URL fragment asks for (`#walk=ADDRESS` then any of `&user`, `&write`, `&fetch`),
 * or `null` when the fragment names no walk (it may belong to another mode of the page).
 *
 * @throws Error naming the bad address or flag.
 */
export function parseWalkLink(hash: string): WalkLink | null {
  const parts = hash.replace(/^#/, "").split("&").filter((p) => p !== "");
  const first = parts[0] ?? "";
  if (!first.startsWith(`${WALK_KEY}=`)) {
    return null;
  }
  const text = decodeURIComponent(first.slice(WALK_KEY.length + 1));
  const vaddr = NUMBER.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(vaddr)) {
    throw new Error(`The URL's walk address "${text}" is not a number (use 0x… hex or decimal)`);
  }
  if (vaddr > MAX_VADDR) {
    throw new Error(`The URL's walk address ${hex(vaddr)} is beyond 4 GiB (32-bit virtual addresses end at 0xFFFFFFFF)`);
  }
  const flags = new Set<string>();
  for (const flag of parts.slice(1)) {
    if (!(FLAGS as readonly string[]).includes(flag)) {
      throw new Error(`The URL's walk flag "${flag}" is not one of ${FLAGS.join(", ")}`);
    }
    flags.add(flag);
  }
  return { vaddr, access: { user: flags.has("user"), write: flags.has("write"), fetch: flags.has("fetch") } };
}

/** The URL fragment that selects a walk: the inverse of {@link parseWalkLink}. */
export function walkLinkOf(link: WalkLink): string {
  return `#${WALK_KEY}=${hex(link.vaddr)}${FLAGS.filter((f) => link.access[f]).map((f) => `&${f}`).join("")}`;
}

/** A walk named by the URL in a paging mode whose addresses may pass 2^53: the address as a bigint. */
export interface WideWalkLink {
  /** The virtual address, exact at any width. */
  readonly vaddr: bigint;
  /** Write, user and fetch, as the URL's flags say. */
  readonly access: AccessKind;
}

/**
 * {@link parseWalkLink} for a mode whose virtual addresses end at `limit` (exclusive):
 * `#walk=0xFFFFFFFF81000000&user`, exact beyond 2^53.
 *
 * @throws Error naming the bad address or flag.
 */
export function parseWideWalkLink(hash: string, limit: bigint): WideWalkLink | null {
  const parts = hash.replace(/^#/, "").split("&").filter((p) => p !== "");
  const first = parts[0] ?? "";
  if (!first.startsWith(`${WALK_KEY}=`)) {
    return null;
  }
  const text = decodeURIComponent(first.slice(WALK_KEY.length + 1)).replaceAll("_", "");
  if (!NUMBER.test(text)) {
    throw new Error(`The URL's walk address "${text}" is not a number (use 0x… hex or decimal)`);
  }
  const vaddr = BigInt(text);
  if (vaddr >= limit) {
    throw new Error(`The URL's walk address ${hex(vaddr)} is beyond this mode's virtual addresses (they end at ${hex(limit - 1n)})`);
  }
  const flags = new Set<string>();
  for (const flag of parts.slice(1)) {
    if (!(FLAGS as readonly string[]).includes(flag)) {
      throw new Error(`The URL's walk flag "${flag}" is not one of ${FLAGS.join(", ")}`);
    }
    flags.add(flag);
  }
  return { vaddr, access: { user: flags.has("user"), write: flags.has("write"), fetch: flags.has("fetch") } };
}

/** The URL fragment of a wide walk: the inverse of {@link parseWideWalkLink}. */
export function wideWalkLinkOf(link: WideWalkLink, digits: number): string {
  return `#${WALK_KEY}=${hex(link.vaddr, digits)}${FLAGS.filter((f) => link.access[f]).map((f) => `&${f}`).join("")}`;
}
