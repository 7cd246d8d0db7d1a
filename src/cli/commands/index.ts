import type { Command } from "commander";
import { registerBoot } from "./boot.js";
import { registerExport } from "./export.js";
import { registerInspect } from "./inspect.js";
import { registerQuiz } from "./quiz.js";
import { registerLoadElf } from "./load-elf.js";
import { registerTranslate } from "./translate.js";
import { registerVerifyQemu } from "./verify-qemu.js";
import { registerView } from "./view.js";
import { registerReplay } from "./replay.js";
import { registerTraceGen } from "./trace-gen.js";
import { registerTraceImport } from "./trace-import.js";
import { registerSimulate } from "./simulate.js";

/**
 * Adds one verb to the program. `setExitCode` records the status `main` returns
 * (e.g. 1 when a self-check fails); throwing `UsageError` yields status 2.
 */
export type RegisterCommand = (program: Command, setExitCode: (code: number) => void) => void;

/** Every verb of `kmem`, in the order `kmem --help` lists them. */
export const commands: readonly RegisterCommand[] = [registerBoot, registerTranslate, registerExport, registerVerifyQemu, registerView, registerQuiz, registerInspect, registerLoadElf, registerSimulate, registerReplay, registerTraceGen, registerTraceImport];
