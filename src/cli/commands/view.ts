import { resolve } from "node:path";
import type { Command } from "commander";
import { printable } from "../../format.js";
import { loadViewTemplate, renderViewPage, type ViewData, writeStaticView } from "../../node/view-bundle.js";
import { startViewServer, VIEW_HOST } from "../../node/view-server.js";
import { addArchOption, addMachineOptions, type AnyMachineFlags, bootAnyFromFlags } from "../machine-options.js";
import { UsageError } from "../usage-error.js";
import type { RegisterCommand } from "./index.js";

/** The port `kmem view` listens on when `--port` is absent (4096: one block). */
export const DEFAULT_VIEW_PORT = 4096;
const MAX_PORT = 65535;
const STOP_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM"];

interface ViewOptions extends AnyMachineFlags {
  readonly port: string;
  readonly static?: string;
}

/** A profile as JSON the page reads back: bigints (64-bit addresses) as `"0x…"` strings. */
function embeddable(profile: unknown): unknown {
  return JSON.parse(JSON.stringify(profile, (_key, value: unknown) => (typeof value === "bigint" ? `0x${value.toString(16)}` : value)));
}

function parsePort(text: string): number {
  const port = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(port) || port > MAX_PORT) {
    throw new UsageError(`--port ${text} is not a port number (0–${MAX_PORT}; 0 picks a free port)`);
  }
  return port;
}

/** Serves the page until SIGINT/SIGTERM, then closes the server. */
async function serve(data: ViewData, port: number): Promise<void> {
  const template = await loadViewTemplate().catch((error: unknown) => {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  });
  const html = renderViewPage(template, data);
  const server = await startViewServer(html, { port }).catch((error: unknown) => {
    const code = (error as { code?: unknown }).code;
    if (code === "EADDRINUSE" || code === "EACCES") {
      throw new UsageError(`Cannot listen on ${VIEW_HOST}:${port}: ${String(code)} (choose another with --port N, or --port 0 for any free port)`);
    }
    throw error;
  });
  process.stdout.write(`kmem view: ${printable(data.source)} at ${server.url} (Ctrl-C to stop)\n`);
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
 * `kmem view [--profile FILE | --arch MODE] [--port N] [--static FILE.html]`: the machine in the browser,
 * served on 127.0.0.1 or written as one self-contained HTML file.
 */
export const registerView: RegisterCommand = (program: Command) => {
  addArchOption(
    addMachineOptions(
      program
        .command("view")
        .description("show the booted machine in a browser page: the virtual map, physical memory, regions, page walks (and, for 32-bit x86, live actions); kmem's core runs in the page"),
    ),
  )
    .option("--port <n>", "port on 127.0.0.1 (0 picks a free port)", String(DEFAULT_VIEW_PORT))
    .option("--static <FILE.html>", "write one self-contained HTML file (no server) and exit")
    .addHelpText("after", "\nThe page boots the same validated profile in the browser; a bad profile exits with status 2.")
    .action(async (options: ViewOptions) => {
      const port = parsePort(options.port);
      const booted = bootAnyFromFlags(options);
      const profile = booted.kind === "x86" ? booted.machine.profile : embeddable(booted.machine.profile);
      const data: ViewData = { profile, source: booted.source, largePages: options.largePages === true };
      if (options.static !== undefined) {
        await writeStaticView(options.static, data).catch((error: unknown) => {
          throw new UsageError(`Cannot write ${options.static ?? ""}: ${error instanceof Error ? error.message : String(error)}`);
        });
        process.stdout.write(`kmem view: wrote ${resolve(options.static)} (open it in a browser; works offline)\n`);
        return;
      }
      await serve(data, port);
    });
};
