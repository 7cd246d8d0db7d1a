import { PhysCategory } from "./model.js";

/** Colours for region labels, assigned in order of first appearance. */
const LABEL_PALETTE: readonly string[] = [
  "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1",
  "#76b7b2", "#edc948", "#9c755f", "#ff9da7", "#86bcb6",
  "#8cd17d", "#d37295", "#a0cbe8", "#ffbe7d", "#bab0ac",
];

/** Colour of a cell nothing maps. */
export const EMPTY_COLOR = "#f3f4f6";
/** Border drawn around cache-disabled pages. */
export const CACHE_DISABLE_COLOR = "#d00000";
/** Marker drawn on user-accessible pages. */
export const USER_MARK_COLOR = "#111827";
/** Hatching drawn over read-only pages. */
export const READ_ONLY_HATCH = "rgba(255, 255, 255, 0.75)";
/** Outline of the selected cell. */
export const SELECTION_COLOR = "#111827";

/** Heat-map colours, indexed by {@link PhysCategory}. */
export const PHYS_COLORS: readonly string[] = [
  "#e5e7eb",
  "#6b7280",
  "#2563eb",
  "#9333ea",
  "#f59e0b",
  "#16a34a",
];

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

/** Heat-map colour of a category. */
export function physColor(category: PhysCategory): string {
  return PHYS_COLORS[category] ?? EMPTY_COLOR;
}
