import { resolve } from "node:path";
import type { Command } from "commander";
import { printable } from "../../format.js";
import { readAnyProfileFile } from "../../node/profile-file.js";
import { loadViewTemplate, renderViewPage, type ViewData, writeStaticView } from "../../node/view-bundle.js";
import { startViewServer, VIEW_HOST } from "../../node/view-server.js";
import { addMachineOptions, bootFromFlags, type MachineFlags } from "../machine-options.js";
import { UsageError } from "../usage-error.js";
import type { RegisterCommand } from "./index.js";

/** The port `kmem view` listens on when `--port` is absent (4096: one block). */
export const DEFAULT_VIEW_PORT = 4096;
const MAX_PORT = 65535;
const STOP_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM"];

interface ViewOptions extends MachineFlags {
  readonly port: string;
  readonly static?: string;
}

/** The view draws 32-bit x86 machines: another mode's profile is refused in one line (exit 2). */
function requireX86(file: string | undefined): void {
  let arch: string;
  try {
    arch = readAnyProfileFile(file).arch;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (arch !== "x86") {
    throw new UsageError(`${file ?? ""}: kmem view shows 32-bit x86 machines for now, and this profile is ${arch} (use kmem boot or kmem translate)`);
  }
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
 * `kmem view [--profile FILE] [--port N] [--static FILE.html]`: the machine in the browser,
 * served on 127.0.0.1 or written as one self-contained HTML file.
 */
export const registerView: RegisterCommand = (program: Command) => {
  addMachineOptions(
    program
      .command("view")
      .description("show the booted machine in a browser page: the 4 GiB virtual map, physical memory, regions, page walks and live actions (kmem's core runs in the page)"),
  )
    .option("--port <n>", "port on 127.0.0.1 (0 picks a free port)", String(DEFAULT_VIEW_PORT))
    .option("--static <FILE.html>", "write one self-contained HTML file (no server) and exit")
    .addHelpText("after", "\nThe page boots the same validated profile in the browser; a bad profile exits with status 2.")
    .action(async (options: ViewOptions) => {
      const port = parsePort(options.port);
      requireX86(options.profile);
      const { machine, source } = bootFromFlags(options);
      const data: ViewData = { profile: machine.profile, source, largePages: options.largePages === true };
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
