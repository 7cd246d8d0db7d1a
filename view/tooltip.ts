import { el } from "./dom.js";

const OFFSET_PX = 14;

/** The floating box that shows a hovered cell's details. */
export class Tooltip {
  readonly #box: HTMLDivElement;

  constructor(parent: HTMLElement) {
    this.#box = el("div", { class: "tooltip", "data-testid": "tooltip", role: "tooltip", hidden: "" });
    parent.append(this.#box);
  }

  /** Shows `lines` (first line bold) near the mouse position of `event`. */
  show(event: MouseEvent, lines: readonly string[]): void {
    const [title, ...rest] = lines;
    this.#box.replaceChildren(el("strong", {}, title ?? ""), ...rest.map((line) => el("div", {}, line)));
    this.#box.hidden = false;
    const maxX = window.innerWidth - this.#box.offsetWidth - OFFSET_PX;
    const maxY = window.innerHeight - this.#box.offsetHeight - OFFSET_PX;
    this.#box.style.left = `${Math.min(event.clientX + OFFSET_PX, maxX)}px`;
    this.#box.style.top = `${Math.min(event.clientY + OFFSET_PX, maxY)}px`;
  }

  /** Hides the box. */
  hide(): void {
    this.#box.hidden = true;
  }
}
