import type { Browser, Page } from "playwright-core";

/** How long one browser step may take before the test fails (the page boots kmem's core first). */
export const STEP_TIMEOUT_MS = 15_000;

/** The viewport the view tests use unless they say otherwise. */
export const VIEW_VIEWPORT = { width: 1600, height: 1100 } as const;

/**
 * Opens `url` in a new page of `browser`, recording console errors and uncaught exceptions
 * in `errors`, and waits until the view has booted (`body[data-ready='true']`).
 */
export async function openViewPage(browser: Browser, url: string, viewport: { readonly width: number; readonly height: number } = VIEW_VIEWPORT): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport });
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(url);
  await page.waitForSelector("body[data-ready='true']");
  return { page, errors };
}
