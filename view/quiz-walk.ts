import { PD_INDEX_SHIFT, PT_INDEX_SHIFT, INDEX_MASK } from "../src/arch/x86/entry.js";
import { PageFault } from "../src/arch/x86/page-fault.js";
import type { FaultReason } from "../src/arch/x86/page-fault.js";
import type { QuizAccess, QuizWalk } from "../src/quiz/translate/arch.js";
import { entryFields, errorCodeFields } from "./entry-fields.js";
import type { WalkView } from "./model.js";

const FAULT_REASONS: readonly string[] = ["pde-not-present", "pte-not-present", "user-supervisor", "read-only"];

function isFaultReason(reason: string): reason is FaultReason {
  return FAULT_REASONS.includes(reason);
}

/**
 * An x86 exercise's answer as the walk panel's {@link WalkView}, so the page shows a quiz
 * walk exactly as it shows a walk of the booted machine (no TLB: exercises walk RAM).
 */
export function quizWalkView(vaddr: number, access: QuizAccess, root: number, walk: QuizWalk): WalkView {
  const fault = walk.fault;
  return {
    vaddr,
    access: { write: access.write, user: access.user, fetch: false },
    cr3: root,
    directoryIndex: (vaddr >>> PD_INDEX_SHIFT) & INDEX_MASK,
    tableIndex: (vaddr >>> PT_INDEX_SHIFT) & INDEX_MASK,
    offset: walk.offset,
    tlbHit: false,
    staleTlb: false,
    large: false,
    levels: walk.steps.map((step) => {
      const value = Number(step.entry);
      return { name: step.level, index: step.index, address: step.entryAddress, value, fields: entryFields(value, step.level === "PDE" ? "pde" : "pte") };
    }),
    physical: walk.physical === null ? null : Number(walk.physical),
    fault:
      fault === null
        ? null
        : {
          address: vaddr,
          errorCode: fault.errorCode,
          bits: errorCodeFields(fault.errorCode),
          message: new PageFault(vaddr, fault.errorCode, isFaultReason(fault.reason) ? { reason: fault.reason } : {}).message,
        },
  };
}
