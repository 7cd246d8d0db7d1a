import { QuizError } from "../../errors/quiz-error.js";
import { describeValue } from "../../format.js";
import { MODE_NAMES } from "../../paging/geometry.js";
import type { Address } from "../../types.js";
import type { QuizArch } from "./arch.js";
import { RISCV_SV32_QUIZ, RISCV_SV39_QUIZ, RISCV_SV48_QUIZ, RISCV_SV57_QUIZ } from "./riscv.js";
import { X86_64_LA57_QUIZ, X86_64_QUIZ, X86_PAE_QUIZ } from "./x86-modes.js";
import { X86_QUIZ } from "./x86.js";


/** The modes `kmem quiz translate --arch` supports: add a mode's {@link QuizArch} here. */
export const QUIZ_ARCHES: readonly QuizArch<Address>[] = [
  X86_QUIZ,
  X86_PAE_QUIZ,
  X86_64_QUIZ,
  X86_64_LA57_QUIZ,
  RISCV_SV32_QUIZ,
  RISCV_SV39_QUIZ,
  RISCV_SV48_QUIZ,
  RISCV_SV57_QUIZ,
];

/**
 * The exercise adapter for paging mode `name`.
 *
 * @throws {QuizError} `UnsupportedArch` naming the supported modes, for a mode without an
 * exercise yet or a name that is no mode at all.
 */
export function resolveQuizArch(name: string): QuizArch<Address> {
  const arch = QUIZ_ARCHES.find((a) => a.name === name);
  if (arch !== undefined) return arch;
  const supported = QUIZ_ARCHES.map((a) => a.name).join(", ");
  const why = (MODE_NAMES as readonly string[]).includes(name) ? "kmem has none for this paging mode yet" : "not a paging mode";
  throw new QuizError("UnsupportedArch", `Cannot generate a translation exercise for ${describeValue(name)}: ${why} (supported: ${supported})`, {
    arch: name,
    supported: QUIZ_ARCHES.map((a) => a.name),
  });
}
