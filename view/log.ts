import { el } from "./dom.js";

/** The operation log: newest entry first, errors marked. */
export class OperationLog {
  readonly #list: HTMLOListElement;
  readonly #entryTestId: string;
  #count = 0;

  /** Logs into `list`, each entry marked `data-testid="entryTestId"`. */
  constructor(list: HTMLOListElement, entryTestId = "log-entry") {
    this.#list = list;
    this.#entryTestId = entryTestId;
  }

  /** Adds an entry: what was asked, and what kmem answered. */
  add(operation: string, outcome: string, failed = false): void {
    this.#count += 1;
    const entry = el(
      "li",
      { class: failed ? "error" : "ok", "data-testid": this.#entryTestId, value: String(this.#count) },
      el("span", { class: "op" }, operation),
      el("span", { class: "arrow" }, failed ? " ✗ " : " → "),
      el("span", { class: "outcome" }, outcome),
    );
    this.#list.prepend(entry);
  }
}
