import { byTestId, parseNumber } from "./dom.js";
import { hex, hexRange } from "../src/format.js";
import type { Attributes } from "../src/types.js";
import type { ViewMachine } from "./model.js";

/**
 * Runs one user action against the machine: `run` performs it (real kmem code) and returns
 * the outcome text; the caller logs it, reports errors, and redraws every view.
 */
export type Perform = (operation: string, run: () => string) => void;

function checked(root: ParentNode, id: string): boolean {
  return byTestId<HTMLInputElement>(id, root).checked;
}

function text(root: ParentNode, id: string): string {
  return byTestId<HTMLInputElement>(id, root).value.trim();
}

function attributesFrom(root: ParentNode, prefix: string): Attributes {
  return {
    kernel: checked(root, `${prefix}-kernel`),
    writable: checked(root, `${prefix}-writable`),
    cachable: checked(root, `${prefix}-cachable`),
  };
}

function describe(attrs: Attributes): string {
  return `${attrs.kernel ? "kernel" : "user"} ${attrs.writable ? "RW" : "RO"} ${attrs.cachable ? "cached" : "uncached"}`;
}

function onSubmit(root: ParentNode, id: string, action: () => void): void {
  byTestId<HTMLFormElement>(id, root).addEventListener("submit", (event) => {
    event.preventDefault();
    action();
  });
}

/**
 * Wires the actions panel (alloc, free, set, flush TLB, invlpg) found under `root` to
 * `machine`, reporting every action through `perform`.
 */
export function bindActions(root: ParentNode, machine: ViewMachine, perform: Perform): void {
  let allocations = 0;
  onSubmit(root, "alloc-form", () => {
    const attrs = attributesFrom(root, "alloc");
    const atText = text(root, "alloc-at");
    const label = text(root, "alloc-label") || `alloc #${allocations + 1}`;
    perform(`alloc ${text(root, "alloc-blocks")} blocks${atText === "" ? "" : ` at ${atText}`} (${describe(attrs)})`, () => {
      const blocks = parseNumber(text(root, "alloc-blocks"), "Blocks");
      const start = atText === ""
        ? machine.alloc(blocks, attrs, { label })
        : machine.alloc(blocks, attrs, { at: parseNumber(atText, "Address"), label });
      if (start === null) {
        return "null: no room (virtual space or physical blocks exhausted)";
      }
      allocations += 1;
      return `${hexRange(start, start + blocks * machine.blockSize)} "${label}"`;
    });
  });
  onSubmit(root, "free-form", () => {
    const addressText = text(root, "free-address");
    perform(`free ${addressText}`, () => {
      const vaddr = parseNumber(addressText, "Address");
      machine.free(vaddr);
      return `freed the allocation at ${hex(vaddr)}`;
    });
  });
  onSubmit(root, "set-form", () => {
    const attrs = attributesFrom(root, "set");
    const physText = text(root, "set-phys");
    const label = text(root, "set-label") || "set region";
    perform(`set ${text(root, "set-start")}–${text(root, "set-end")}${physText === "" ? "" : ` → ${physText}`} (${describe(attrs)})`, () => {
      const virtStart = parseNumber(text(root, "set-start"), "Virtual start");
      const virtEnd = parseNumber(text(root, "set-end"), "Virtual end");
      const physStart = physText === "" ? null : parseNumber(physText, "Physical start");
      machine.set({ virtStart, virtEnd, physStart }, attrs, label);
      return `reserved ${hexRange(virtStart, virtEnd)} "${label}"`;
    });
  });
  byTestId("flush-tlb", root).addEventListener("click", () => {
    perform("flush TLB (reload CR3)", () => {
      machine.flushTlb();
      return "TLB empty";
    });
  });
  onSubmit(root, "invlpg-form", () => {
    const addressText = text(root, "invlpg-address");
    perform(`invlpg ${addressText}`, () => {
      const vaddr = parseNumber(addressText, "Address");
      machine.invlpg(vaddr);
      return `TLB entry of ${hex(vaddr)} invalidated`;
    });
  });
}
