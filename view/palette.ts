/**
 * Every colour the page paints with, in one place, so that a region has one colour everywhere:
 * in the virtual map, its zoom, the physical map, its zoom, the legends and the region table.
 * Regions get a colour per label; physical blocks no region maps get the fixed colours below,
 * none of which the label palette uses.
 */

/** Colours for region labels, assigned in order of first appearance (Tableau 10 and its light tints, without greys and browns). */
const LABEL_PALETTE: readonly string[] = [
  "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1",
  "#76b7b2", "#edc948", "#ff9da7", "#86bcb6", "#8cd17d",
  "#d37295", "#a0cbe8", "#ffbe7d",
];

/** Free: a virtual cell nothing maps, a physical block the PMM has free. */
export const EMPTY_COLOR = "#eceef1";
/** Physical blocks the firmware keeps (not usable RAM). */
export const FIRMWARE_COLOR = "#6b7280";
/** Physical blocks holding the page directory or a page table. */
export const PAGE_TABLE_COLOR = "#1f2937";
/** Physical blocks the PMM holds that no region maps. */
export const UNMAPPED_USED_COLOR = "#b8a99a";
/** Border drawn around cache-disabled pages. */
export const CACHE_DISABLE_COLOR = "#d00000";
/** Marker drawn on user-accessible pages. */
export const USER_MARK_COLOR = "#111827";
/** Hatching drawn over read-only pages. */
export const READ_ONLY_HATCH = "rgba(255, 255, 255, 0.75)";
/** Outline of the selected cell. */
export const SELECTION_COLOR = "#111827";
/** Opacity of everything but the highlighted region while one is highlighted. */
export const FADED_ALPHA = 0.18;

/** Remembers one stable colour per region label across redraws. */
export class LabelColors {
  readonly #colors = new Map<string, string>();

  /** The label's colour, assigning the next palette entry to a new label. */
  colorOf(label: string): string {
    const known = this.#colors.get(label);
    if (known !== undefined) {
      return known;
    }
    const color = LABEL_PALETTE[this.#colors.size % LABEL_PALETTE.length] ?? EMPTY_COLOR;
    this.#colors.set(label, color);
    return color;
  }
}
