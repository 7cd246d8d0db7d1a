import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Command } from "commander";
import { parseProfileJson } from "../../boot/profile.js";
import { KmemError } from "../../errors/kmem-error.js";
import { loadViewTemplate, renderViewPage, type ViewData, writeStaticView } from "../../node/view-bundle.js";
import { startViewServer, VIEW_HOST } from "../../node/view-server.js";
import { UsageError } from "../usage-error.js";
import type { RegisterCommand } from "./index.js";

/** The port `kmem view` listens on when `--port` is absent (4096: one block). */
export const DEFAULT_VIEW_PORT = 4096;
const MAX_PORT = 65535;
const STOP_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM"];

interface ViewOptions {
  readonly profile?: string;
  readonly port: string;
  readonly static?: string;
}

function parsePort(text: string): number {
  const port = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(port) || port > MAX_PORT) {
    throw new UsageError(`--port ${text} is not a port number (0–${MAX_PORT}; 0 picks a free port)`);
  }
  return port;
}

/** Reads and validates `--profile FILE` (validation is kmem's own; the page boots the same JSON). */
async function loadViewData(file: string | undefined): Promise<ViewData> {
  if (file === undefined) {
    return { profile: null, source: "default profile" };
  }
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(`Cannot read profile ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    parseProfileJson(text);
  } catch (error) {
    if (error instanceof KmemError) {
      throw new UsageError(`${file}: ${error.message}`);
    }
    throw error;
  }
  return { profile: JSON.parse(text) as unknown, source: file };
}

/** Serves the page until SIGINT/SIGTERM, then closes the server. */
async function serve(data: ViewData, port: number): Promise<void> {
  const html = renderViewPage(await loadViewTemplate(), data);
  const server = await startViewServer(html, { port }).catch((error: unknown) => {
    const code = (error as { code?: unknown }).code;
    if (code === "EADDRINUSE" || code === "EACCES") {
      throw new UsageError(`Cannot listen on ${VIEW_HOST}:${port}: ${String(code)} (choose another with --port N, or --port 0 for any free port)`);
    }
    throw error;
  });
  process.stdout.write(`kmem view: ${data.source} at ${server.url} (Ctrl-C to stop)\n`);
  await new Promise<void>((done) => {
    const stop = (): void => {
      for (const signal of STOP_SIGNALS) {
        process.off(signal, stop);
      }
      done();
    };
    for (const signal of STOP_SIGNALS) {
      process.on(signal, stop);
    }
  });
  await server.close();
}

/**
 * `kmem view [--profile FILE] [--port N] [--static FILE.html]`: the machine in the browser,
 * served on 127.0.0.1 or written as one self-contained HTML file.
 */
export const registerView: RegisterCommand = (program: Command) => {
  program
    .command("view")
    .description("Show the booted machine in a browser page: the 4 GiB virtual map, physical memory, regions, page walks and live actions (kmem's core runs in the page).")
    .option("--profile <file>", "memory profile JSON (default: the built-in 128 MiB PC)")
    .option("--port <n>", "port on 127.0.0.1 (0 picks a free port)", String(DEFAULT_VIEW_PORT))
    .option("--static <file>", "write one self-contained HTML file (no server) and exit")
    .action(async (options: ViewOptions) => {
      const port = parsePort(options.port);
      const data = await loadViewData(options.profile);
      if (options.static !== undefined) {
        await writeStaticView(options.static, data);
        process.stdout.write(`kmem view: wrote ${resolve(options.static)} (open it in a browser; works offline)\n`);
        return;
      }
      await serve(data, port);
    });
};
