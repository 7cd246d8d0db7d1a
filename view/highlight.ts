/**
 * The region label the user points at, shared by both maps: hovering a region in one map
 * highlights it in the other (and in the zooms). Listeners run only when the label changes.
 */
export class Highlight {
  #label: string | null = null;
  readonly #listeners: (() => void)[] = [];

  /** The highlighted label, or `null`. */
  get label(): string | null {
    return this.#label;
  }

  /** Highlights `label` (`null`: none) and tells every listener if that changed. */
  set(label: string | null): void {
    if (label === this.#label) {
      return;
    }
    this.#label = label;
    for (const listener of this.#listeners) {
      listener();
    }
  }

  /** Calls `listener` after every change. */
  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }
}
