import { QuizError } from "../../errors/quiz-error.js";
import { describeValue, hex } from "../../format.js";
import type { TranslateQuestion } from "./generate.js";

const HEX = /^0x[0-9a-f]+$/i;
const DECIMAL = /^[0-9]+$/;
/** `fault`, `fault 0x7`, `fault, error code 7`, `#PF 0x5`, `fault scause 15`: the word, then optionally the code. */
const FAULT = /^(?:fault|#pf|page fault)[\s,:]*(?:(?:error[\s-]*code|s?cause)[\s:=]*)?(\S*)$/i;
const ERROR_CODE_DIGITS = 1;
const DEFAULT_PAGE_BYTES = 4096;

/** A student's answer to a translation question, understood. */
export type TranslateAnswer = PhysicalAnswer | FaultAnswer;

/** "It translates to this address." */
export interface PhysicalAnswer {
  /** `"physical"`. */
  readonly kind: "physical";
  /** The physical address given. */
  readonly address: bigint;
}

/** "It faults (with this error code)." */
export interface FaultAnswer {
  /** `"fault"`. */
  readonly kind: "fault";
  /** The error code given, or `null` when left out. */
  readonly errorCode: number | null;
}

/** The verdict on one answer. */
export interface AnswerVerdict {
  /** The answer is the MMU's. */
  readonly correct: boolean;
  /** The right answer as a student would write it: `0x009E23EC` or `fault 0x7`. */
  readonly expected: string;
  /** One sentence for the student. */
  readonly message: string;
}

function parseNumber(text: string): bigint | null {
  if (HEX.test(text)) return BigInt(text);
  if (DECIMAL.test(text)) return BigInt(text);
  return null;
}

/**
 * Reads a student's answer: a physical address (`0x…` hex; underscores allowed), or `fault`
 * followed by the error code (`fault 0x7`, `fault 7`; the code may be left out).
 *
 * @throws {QuizError} `InvalidAnswer` when the text is neither, saying what to write.
 * @example
 * parseTranslateAnswer("fault 0x7"); // { kind: "fault", errorCode: 7 }
 */
export function parseTranslateAnswer(text: string): TranslateAnswer {
  const clean = text.trim().replaceAll("_", "");
  const fault = FAULT.exec(clean);
  if (fault !== null) {
    const code = fault[1] ?? "";
    if (code === "") return { kind: "fault", errorCode: null };
    const value = parseNumber(code);
    if (value === null || value > 0xffffffffn) {
      throw new QuizError("InvalidAnswer", `Cannot read the error code ${describeValue(code)}: write it as 0x… hex or decimal, e.g. fault 0x7`, { answer: text });
    }
    return { kind: "fault", errorCode: Number(value) };
  }
  if (HEX.test(clean)) return { kind: "physical", address: BigInt(clean) };
  throw new QuizError("InvalidAnswer", `Cannot read the answer ${describeValue(text)}: write a physical address as 0x… hex, or "fault" and the error code`, {
    answer: text,
  });
}

/**
 * Checks a student's answer to `question` against the MMU's; a wrong address gets a hint
 * when its frame or its offset is right. `options` default to x86's 8 hex digits and 4 KiB pages.
 *
 * @throws {QuizError} `InvalidAnswer` when the text cannot be read (see {@link parseTranslateAnswer}).
 * @example
 * checkTranslateAnswer(exercise.questions[0], "0x009E23EC").correct;
 */
export function checkTranslateAnswer(
  question: TranslateQuestion,
  text: string,
  options: { readonly physicalDigits?: number; readonly pageBytes?: number } = {},
): AnswerVerdict {
  const given = parseTranslateAnswer(text);
  const { answer } = question;
  const digits = options.physicalDigits ?? 8;
  if (answer.fault === null) {
    const physical = BigInt(answer.physical ?? 0);
    const expected = hex(physical, digits);
    if (given.kind === "fault") return { correct: false, expected, message: `No fault: the access translates to ${expected}.` };
    if (given.address === physical) return { correct: true, expected, message: `Right: ${expected}.` };
    const frame = BigInt(answer.frame ?? 0);
    const pageBytes = BigInt(options.pageBytes ?? DEFAULT_PAGE_BYTES);
    const hint =
      given.address >= frame && given.address < frame + pageBytes
        ? " (the right frame; check the offset)"
        : given.address % pageBytes === BigInt(answer.offset)
          ? " (the right offset; check the frame)"
          : "";
    return { correct: false, expected, message: `Not ${hex(given.address, digits)}${hint}: the access translates to ${expected}.` };
  }
  const { errorCode, codeName, code, bits, description } = answer.fault;
  const expected = `fault ${code}`;
  const why = `${codeName} ${code} (${bits}): ${description}`;
  if (given.kind === "physical") return { correct: false, expected, message: `It faults: ${why}.` };
  if (given.errorCode === null) return { correct: false, expected, message: `It does fault: with which ${codeName}?` };
  if (given.errorCode === errorCode) return { correct: true, expected, message: `Right: ${why}.` };
  const givenCode = code.startsWith("0x") ? hex(given.errorCode, ERROR_CODE_DIGITS) : String(given.errorCode);
  return { correct: false, expected, message: `It faults, but with ${why}; not ${givenCode}.` };
}
