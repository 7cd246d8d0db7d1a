import { type PhysicalSnapshot, PhysCategory, type RegionRow } from "./model.js";
import { EMPTY_COLOR, FIRMWARE_COLOR, PAGE_TABLE_COLOR, UNMAPPED_USED_COLOR } from "./palette.js";

/** Key of a free block. */
export const KEY_FREE = 0;
/** Key of a firmware-reserved block no region maps. */
export const KEY_FIRMWARE = 1;
/** Key of a page directory or page table. */
export const KEY_PAGE_TABLE = 2;
/** Key of a block the PMM holds that no region maps. */
export const KEY_UNMAPPED = 3;
/** The first key of a region label; labels follow in the order of the regions. */
export const FIRST_REGION_KEY = 4;

const FIXED: readonly { readonly name: string; readonly color: string }[] = [
  { name: "free", color: EMPTY_COLOR },
  { name: "firmware-reserved", color: FIRMWARE_COLOR },
  { name: "page tables", color: PAGE_TABLE_COLOR },
  { name: "used, in no region", color: UNMAPPED_USED_COLOR },
];

/**
 * What paints each physical block: the label of the region that maps it (in that label's
 * colour, as the virtual map paints the region), else what the PMM and the profile say it is.
 */
export interface PhysicalPaint {
  readonly blockSize: number;
  /** One key per block, indexing `names`, `colors` and `labels`. */
  readonly keys: Uint16Array;
  /** What each key means, for legends and tooltips. */
  readonly names: readonly string[];
  readonly colors: readonly string[];
  /** The region label behind each key; `null` for the fixed kinds (free, firmware, page tables, unmapped). */
  readonly labels: readonly (string | null)[];
}

function fixedKey(category: number): number {
  switch (category) {
    case PhysCategory.Free:
      return KEY_FREE;
    case PhysCategory.Firmware:
      return KEY_FIRMWARE;
    case PhysCategory.PageTable:
      return KEY_PAGE_TABLE;
    default:
      return KEY_UNMAPPED;
  }
}

/** Keys every block of `snapshot`: page tables first, then the regions' blocks by label, then the PMM's categories. */
export function physicalPaint(snapshot: PhysicalSnapshot, regions: readonly Pick<RegionRow, "label" | "physBlocks">[], colorOf: (label: string) => string): PhysicalPaint {
  const { blockSize, categories } = snapshot;
  const keys = new Uint16Array(categories.length);
  for (let block = 0; block < categories.length; block += 1) {
    keys[block] = fixedKey(categories[block] ?? PhysCategory.Free);
  }
  const names = FIXED.map((f) => f.name);
  const colors = FIXED.map((f) => f.color);
  const labels: (string | null)[] = FIXED.map(() => null);
  const keyOf = new Map<string, number>();
  for (const region of regions) {
    let key = keyOf.get(region.label);
    if (key === undefined) {
      key = names.length;
      keyOf.set(region.label, key);
      names.push(region.label);
      colors.push(colorOf(region.label));
      labels.push(region.label);
    }
    for (const address of region.physBlocks) {
      const block = address / blockSize;
      if (block < keys.length && keys[block] !== KEY_PAGE_TABLE) {
        keys[block] = key;
      }
    }
  }
  return { blockSize, keys, names, colors, labels };
}

/** How many blocks carry each key. */
export function countKeys(paint: PhysicalPaint): number[] {
  const counts = paint.names.map(() => 0);
  for (const key of paint.keys) {
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
