import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** The placeholder in the bundled page that {@link renderViewPage} replaces with the machine's data. */
export const VIEW_DATA_PLACEHOLDER = "/*KMEM_DATA*/";

/** Where the built page may be: next to the built CLI (`dist/view`), or, from sources, in `dist/view`. */
const TEMPLATE_CANDIDATES: readonly URL[] = [
  new URL("../view/index.html", import.meta.url),
  new URL("../../dist/view/index.html", import.meta.url),
];

/** What the page boots: a validated memory profile, where it came from, and whether 4 MiB pages are on. */
export interface ViewData {
  readonly profile: unknown;
  readonly source: string;
  readonly largePages: boolean;
}

/**
 * Reads the bundled page template that `npm run build` writes to `dist/view/index.html`.
 *
 * @throws Error when the page was not built, saying how to build it.
 */
export async function loadViewTemplate(): Promise<string> {
  for (const candidate of TEMPLATE_CANDIDATES) {
    try {
      return await readFile(candidate, "utf8");
    } catch {
      continue;
    }
  }
  const tried = TEMPLATE_CANDIDATES.map((url) => fileURLToPath(url)).join(", ");
  throw new Error(`Cannot find the view page: none of ${tried} exists (run npm run build)`);
}

/**
 * Fills the page template with `data` as JSON, escaped so it cannot end its `<script>` element.
 *
 * @example
 * renderViewPage(await loadViewTemplate(), { profile: DEFAULT_PROFILE, source: "the default profile", largePages: false });
 */
export function renderViewPage(template: string, data: ViewData): string {
  const json = JSON.stringify({ profile: data.profile, source: data.source, largePages: data.largePages })
    .replaceAll("<", "\\u003c")
    .replaceAll("\u2028", "\\u2028")
    .replaceAll("\u2029", "\\u2029");
  if (!template.includes(VIEW_DATA_PLACEHOLDER)) {
    throw new Error(`Cannot embed the profile: the view template lacks ${VIEW_DATA_PLACEHOLDER} (rebuild with npm run build)`);
  }
  return template.replace(VIEW_DATA_PLACEHOLDER, () => json);
}

/** Writes the self-contained page (scripts, styles and profile inlined) to `file`. */
export async function writeStaticView(file: string, data: ViewData): Promise<void> {
  await writeFile(file, renderViewPage(await loadViewTemplate(), data));
}
