import { randomInt } from "node:crypto";
import { Option, type Command } from "commander";
import { QuizError } from "../../errors/quiz-error.js";
import { REPLACEMENT_POLICIES } from "../../process/replacement.js";
import { allocJson, generateAllocExercise, renderAllocExercise } from "../../quiz/alloc.js";
import { MAX_SEED } from "../../quiz/options.js";
import { generatePolicyExercise, policyJson, renderPolicyExercise } from "../../quiz/policy.js";
import { QUIZ_ARCHES } from "../../quiz/translate/arches.js";
import { generateTranslateExercise } from "../../quiz/translate/generate.js";
import { translateJson } from "../../quiz/translate/json.js";
import { renderTranslateExercise } from "../../quiz/translate/render.js";
import { UsageError } from "../usage-error.js";
import type { RegisterCommand } from "./index.js";

interface QuizFlags {
  readonly seed?: string;
  readonly count?: string;
  readonly answers?: boolean;
  readonly json?: boolean;
}

interface TranslateFlags extends QuizFlags {
  readonly arch: string;
}

interface PolicyFlags extends QuizFlags {
  readonly policy: string;
  readonly frames: string;
  readonly trace?: string;
}

const INTEGER = /^[0-9]+$/;

/**
 * Parses a decimal integer flag.
 *
 * @throws UsageError naming the flag when `text` is not one.
 */
function integerFlag(text: string, flag: string): number {
  if (!INTEGER.test(text)) throw new UsageError(`${flag} ${JSON.stringify(text)} is not a whole number`);
  return Number(text);
}

/** The seed asked for, or a fresh random one (printed, so the exercise can be repeated). */
function seedOf(flags: QuizFlags): number {
  return flags.seed === undefined ? randomInt(0, MAX_SEED + 1) : integerFlag(flags.seed, "--seed");
}

/** Runs `build`, turning a bad request (a `QuizError`) into one line and exit status 2. */
function quizOutput(build: () => string): string {
  try {
    return build();
  } catch (error) {
    if (error instanceof QuizError) throw new UsageError(error.message);
    throw error;
  }
}

/** The first line of a text exercise: the command that repeats it. */
function repeatLine(words: readonly string[], flags: QuizFlags): string {
  const answers = flags.answers === true ? " --answers" : "";
  return `kmem quiz ${words.join(" ")}${answers}${flags.answers === true ? "" : "  (add --answers for the answers)"}\n\n`;
}

function json(value: object): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function addCommonOptions(command: Command, countHelp: string): Command {
  return command
    .option("--seed <N>", `random seed, 0 to ${MAX_SEED}: the same seed gives the same exercise (default: a random seed, printed)`)
    .option("--count <K>", countHelp)
    .option("--answers", "also print the answers, worked out step by step")
    .option("--json", "print one JSON object (schema: docs/cli.md)")
    .addHelpText("after", "\nExit status: 0 printed, 2 bad input.");
}

function registerTranslateQuiz(quiz: Command): void {
  addCommonOptions(
    quiz
      .command("translate")
      .description("page-table walks: a random address space dumped as RAM, virtual addresses to translate (or fault)")
      .option("--arch <MODE>", `paging mode (supported: ${QUIZ_ARCHES.map((a) => a.name).join(", ")})`, "x86"),
    "questions to ask, 1 to 40 (default 8)",
  ).action((flags: TranslateFlags) => {
    process.stdout.write(
      quizOutput(() => {
        const seed = seedOf(flags);
        const count = flags.count === undefined ? undefined : integerFlag(flags.count, "--count");
        const exercise = generateTranslateExercise({ arch: flags.arch, seed, ...(count === undefined ? {} : { count }) });
        if (flags.json === true) return json(translateJson(exercise, { answers: flags.answers === true }));
        const words = ["translate", "--arch", exercise.arch.name, "--seed", String(seed), "--count", String(exercise.questions.length)];
        return repeatLine(words, flags) + renderTranslateExercise(exercise, { answers: flags.answers === true });
      }),
    );
  });
}

function parseTrace(text: string): number[] {
  return text.split(",").map((item) => integerFlag(item.trim(), "--trace page"));
}

function registerPolicyQuiz(quiz: Command): void {
  addCommonOptions(
    quiz
      .command("policy")
      .description("page replacement: a reference string to run through FIFO, LRU, Clock or OPT (hits, misses, evictions, frames)")
      .addOption(new Option("--policy <NAME>", "replacement policy").choices(REPLACEMENT_POLICIES).makeOptionMandatory())
      .requiredOption("--frames <N>", "physical frames, 1 to 16")
      .option("--trace <PAGES>", "the reference string, e.g. 1,2,3,4,1,2 (default: a random one from the seed)"),
    "references in a random string, 1 to 100 (default 12)",
  ).action((flags: PolicyFlags) => {
    process.stdout.write(
      quizOutput(() => {
        if (flags.trace !== undefined && (flags.seed !== undefined || flags.count !== undefined)) {
          throw new UsageError("--trace gives the reference string: --seed and --count draw a random one instead; use one or the other");
        }
        const frames = integerFlag(flags.frames, "--frames");
        const base = { policy: flags.policy, frames };
        const exercise =
          flags.trace === undefined
            ? generatePolicyExercise({ ...base, seed: seedOf(flags), ...(flags.count === undefined ? {} : { count: integerFlag(flags.count, "--count") }) })
            : generatePolicyExercise({ ...base, trace: parseTrace(flags.trace) });
        if (flags.json === true) return json(policyJson(exercise, { answers: flags.answers === true }));
        const source = exercise.seed === null ? ["--trace", exercise.trace.join(",")] : ["--seed", String(exercise.seed), "--count", String(exercise.trace.length)];
        const words = ["policy", "--policy", exercise.policy, "--frames", String(frames), ...source];
        return repeatLine(words, flags) + renderPolicyExercise(exercise, { answers: flags.answers === true });
      }),
    );
  });
}

function registerAllocQuiz(quiz: Command): void {
  addCommonOptions(
    quiz.command("alloc").description("first-fit allocation: alloc/free requests against kmem's VMM; predict each returned address"),
    "requests, 1 to 30 (default 10)",
  ).action((flags: QuizFlags) => {
    process.stdout.write(
      quizOutput(() => {
        const seed = seedOf(flags);
        const count = flags.count === undefined ? undefined : integerFlag(flags.count, "--count");
        const exercise = generateAllocExercise({ seed, ...(count === undefined ? {} : { count }) });
        if (flags.json === true) return json(allocJson(exercise, { answers: flags.answers === true }));
        const words = ["alloc", "--seed", String(seed), "--count", String(exercise.steps.length)];
        return repeatLine(words, flags) + renderAllocExercise(exercise, { answers: flags.answers === true });
      }),
    );
  });
}

/** `kmem quiz translate|policy|alloc`: exercises from a seed, with answers on request (docs/teaching.md). */
export const registerQuiz: RegisterCommand = (program) => {
  const quiz = program
    .command("quiz")
    .description("exercises with answers, the same for the same seed: translate (page walks), policy (page replacement), alloc (first fit)");
  registerTranslateQuiz(quiz);
  registerPolicyQuiz(quiz);
  registerAllocQuiz(quiz);
};
