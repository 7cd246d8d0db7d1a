/**
 * One process of the paging-modes section: `node --import tsx bench/paging-child.ts '{"modes":[…],"config":{…},"stageOne":false}'`
 * prints the group's figures as JSON (see `measureGroup`).
 */
import type { ModeName } from "kmem";
import { type PagingModesConfig, measureGroup } from "./paging-modes.js";

const args = JSON.parse(process.argv[2] ?? "{}") as { modes: ModeName[]; config: PagingModesConfig; stageOne: boolean };
process.stdout.write(JSON.stringify(measureGroup(args.modes, args.config, args.stageOne)));
