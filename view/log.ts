import { el } from "./dom.js";

/** The operation log: newest entry first, errors marked. */
export class OperationLog {
  readonly #list: HTMLOListElement;
  #count = 0;

  constructor(list: HTMLOListElement) {
    this.#list = list;
  }

  /** Adds an entry: what was asked, and what kmem answered. */
  add(operation: string, outcome: string, failed = false): void {
    this.#count += 1;
    const entry = el(
      "li",
      { class: failed ? "error" : "ok", "data-testid": "log-entry", value: String(this.#count) },
      el("span", { class: "op" }, operation),
      el("span", { class: "arrow" }, failed ? " ✗ " : " → "),
      el("span", { class: "outcome" }, outcome),
    );
    this.#list.prepend(entry);
  }
}
