import { hex } from "../src/format.js";
import { MAX_SEED } from "../src/quiz/options.js";
import { type AnswerVerdict, checkTranslateAnswer } from "../src/quiz/translate/answer.js";
import { DEFAULT_TRANSLATE_QUESTIONS, generateTranslateExercise, type TranslateExercise, type TranslateQuestion } from "../src/quiz/translate/generate.js";
import { describeAccess, describeOutcome, describeWalk, dumpTable } from "../src/quiz/translate/render.js";
import { el } from "./dom.js";
import { quizWalkView } from "./quiz-walk.js";
import { QUIZ_STYLE } from "./quiz-style.js";
import { renderWalk } from "./walk-panel.js";

const PANEL_ID = "quiz-panel";
const DECIMAL = /^[0-9]+$/;
/** The exercises the page can set; the others are in the terminal (`kmem quiz policy|alloc`). */
const BROWSER_QUIZZES = ["translate"];

/** What the address bar's fragment asks for: `#quiz=translate&seed=42&count=8` (optionally `&arch=x86-64`). */
interface QuizRequest {
  readonly quiz: string;
  readonly arch: string | null;
  readonly seed: number | null;
  readonly count: number | null;
}

function readRequest(hash: string): QuizRequest | null {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const quiz = params.get("quiz");
  if (quiz === null) return null;
  const number = (name: string): number | null => {
    const text = params.get(name) ?? "";
    return DECIMAL.test(text) ? Number(text) : null;
  };
  return { quiz, arch: params.get("arch"), seed: number("seed"), count: number("count") };
}

/** A fresh seed from the browser's CSPRNG (exercises never use Math.random). */
function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
}

/** The fragment of an exercise: the default mode (x86) is left out, so that links stay short. */
function exerciseHash(request: Omit<QuizRequest, "quiz" | "seed">, seed: number): string {
  const arch = request.arch === null || request.arch === "x86" ? "" : `&arch=${request.arch}`;
  return `#quiz=translate${arch}&seed=${seed}${request.count === null ? "" : `&count=${request.count}`}`;
}

/** Checks `text`: the verdict, or the message saying why it cannot be read. */
function verdictFor(exercise: TranslateExercise, question: TranslateQuestion, text: string): AnswerVerdict | string {
  try {
    return checkTranslateAnswer(question, text, { physicalDigits: exercise.arch.physicalDigits, pageBytes: exercise.arch.pageBytes });
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Shows the walk: the walk panel's bit-by-bit view for 32-bit x86, the entries as text for the other modes. */
function showWalk(walk: HTMLElement, exercise: TranslateExercise, question: TranslateQuestion): void {
  if (exercise.arch.name === "x86") {
    renderWalk(walk, quizWalkView(Number(question.vaddr), question.access, exercise.root, question.answer));
  } else {
    const lines = [describeOutcome(question.answer, exercise.arch.physicalDigits), ...describeWalk(question.answer, exercise)];
    walk.replaceChildren(...lines.map((line) => el("p", { class: "addr quiz-step", "data-testid": "quiz-walk-step" }, line)));
  }
  // Replay the walk entry by entry (the CSS staggers each part's entrance).
  walk.classList.remove("quiz-reveal");
  void walk.offsetWidth;
  walk.classList.add("quiz-reveal");
}

function questionItem(exercise: TranslateExercise, question: TranslateQuestion): HTMLLIElement {
  const vaddr = hex(question.vaddr, exercise.arch.addressDigits);
  const input = el("input", { "data-testid": "quiz-answer", placeholder: "0x… or fault 0x…", size: "16", autocomplete: "off", spellcheck: "false" });
  const verdict = el("p", { class: "quiz-verdict", "data-testid": "quiz-verdict", "aria-live": "polite" });
  const walk = el("div", { class: "walk", "data-testid": "quiz-walk" });
  const form = el(
    "form",
    { class: "action" },
    el("span", { class: "quiz-access" }, describeAccess(question.access, vaddr)),
    el("label", {}, "answer ", input),
    el("button", { "data-testid": "quiz-check" }, "Check"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const result = verdictFor(exercise, question, input.value);
    if (typeof result === "string") {
      verdict.className = "quiz-verdict unreadable";
      verdict.dataset["verdict"] = "unreadable";
      verdict.textContent = result;
      return;
    }
    verdict.className = `quiz-verdict ${result.correct ? "right" : "wrong"}`;
    verdict.dataset["verdict"] = result.correct ? "right" : "wrong";
    verdict.dataset["expected"] = result.expected;
    verdict.textContent = `${result.correct ? "✓" : "✗"} ${result.message}`;
    showWalk(walk, exercise, question);
  });
  return el("li", { "data-testid": "quiz-question", "data-number": String(question.number), "data-vaddr": vaddr }, form, verdict, walk);
}

function renderExercise(panel: HTMLElement, exercise: TranslateExercise, request: QuizRequest): void {
  const { arch } = exercise;
  const command = `kmem quiz translate --arch ${arch.name} --seed ${exercise.seed} --count ${exercise.questions.length}`;
  const dump = exercise.tables.flatMap((table) => [...dumpTable(table, arch.entryBytes, arch.rootRegister, exercise.root), ""]).join("\n");
  const newButton = el("button", { type: "button", "data-testid": "quiz-new" }, "New exercise");
  newButton.addEventListener("click", () => {
    location.hash = exerciseHash(request, randomSeed());
  });
  const closeButton = el("button", { type: "button", "data-testid": "quiz-close" }, "Close");
  closeButton.addEventListener("click", () => {
    history.pushState(null, "", location.pathname + location.search);
    panel.hidden = true;
  });
  panel.replaceChildren(
    el(
      "h2",
      {},
      "Exercise: translate ",
      el("small", { "data-testid": "quiz-title" }, `seed ${exercise.seed} · the same as ${command} · share this page's address to share the exercise`),
    ),
    el("div", { class: "quiz-actions" }, newButton, closeButton),
    el("p", {}, `${arch.name}: ${arch.description}. ${arch.rootRegister} = ${hex(exercise.root)}.`),
    el("ul", { class: "quiz-notes" }, ...arch.notes.map((note) => el("li", {}, note))),
    el("div", { class: "quiz-body" }, el("pre", { class: "quiz-dump", "data-testid": "quiz-dump" }, dump), el("ol", { class: "quiz-questions" }, ...exercise.questions.map((q) => questionItem(exercise, q)))),
  );
  panel.dataset["seed"] = String(exercise.seed);
  panel.dataset["arch"] = arch.name;
  panel.hidden = false;
}

function showRequest(panel: HTMLElement): void {
  const request = readRequest(location.hash);
  if (request === null) {
    panel.hidden = true;
    return;
  }
  if (!BROWSER_QUIZZES.includes(request.quiz)) {
    panel.replaceChildren(el("p", { class: "quiz-verdict unreadable", "data-testid": "quiz-error" }, `The page sets translate exercises (#quiz=translate&seed=N); for "${request.quiz}" use kmem quiz in a terminal.`));
    panel.hidden = false;
    return;
  }
  if (request.seed === null || request.seed > MAX_SEED) {
    // Give the exercise a seed in the address, so that the link reproduces it.
    history.replaceState(null, "", exerciseHash(request, randomSeed()));
    showRequest(panel);
    return;
  }
  try {
    const exercise = generateTranslateExercise({ arch: request.arch ?? "x86", seed: request.seed, count: request.count ?? DEFAULT_TRANSLATE_QUESTIONS });
    renderExercise(panel, exercise, request);
  } catch (error) {
    panel.replaceChildren(el("p", { class: "quiz-verdict unreadable", "data-testid": "quiz-error" }, error instanceof Error ? error.message : String(error)));
    panel.hidden = false;
  }
}

/**
 * Adds the exercise mode to the page: an *Exercise* button in the header, and a panel at the
 * top of the page that shows the exercise the address's fragment names
 * (`#quiz=translate&seed=42`, `&arch=x86-64` for another paging mode, `&count=K`),
 * following the fragment as it changes.
 */
export function bindQuiz(doc: Document): void {
  doc.head.append(el("style", {}, QUIZ_STYLE));
  const panel = el("section", { class: "card span-2 quiz", "data-testid": PANEL_ID, "aria-label": "exercise" });
  panel.hidden = true;
  doc.querySelector("main")?.prepend(panel);
  const open = el("button", { type: "button", "data-testid": "quiz-open", title: "a page-walk exercise from a seed, as kmem quiz translate" }, "Exercise");
  open.addEventListener("click", () => {
    location.hash = exerciseHash({ arch: null, count: null }, randomSeed());
  });
  doc.querySelector(".top-actions")?.prepend(open);
  window.addEventListener("hashchange", () => showRequest(panel));
  showRequest(panel);
}
