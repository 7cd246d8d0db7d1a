/**
 * Runs only the paging-modes section: `npm run build && node --import tsx bench/paging-run.ts [--quick]`.
 */
import { parseArgs } from "node:util";
import { printPagingModes, runPagingModes } from "./paging-modes.js";

const { values } = parseArgs({ options: { quick: { type: "boolean", default: false } } });
console.log(printPagingModes(runPagingModes(values.quick === true ? { runs: 3, translations: 1_000_000 } : { runs: 7, translations: 10_000_000 })));
