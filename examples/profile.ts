import { readFileSync } from "node:fs";
import { boot, describeMachine, exportMachine, hex, parseProfileJson, selfCheck, DEFAULT_PROFILE, ProfileError } from "kmem";

let profile = DEFAULT_PROFILE;
try {
  profile = parseProfileJson(readFileSync("my-pc.json", "utf8"));
} catch (error) {
  if (!(error instanceof ProfileError)) throw error;
  console.error(`my-pc.json: ${error.message}`); // e.g. "kernel.physStart 1.5 is not an integer"
  process.exit(2);
}
const machine = boot(profile);             // or boot(profile, { largePages: true })
const report = selfCheck(machine);         // { ok, blocksChecked, blocksRequired, failureCount, failures }
console.log(hex(machine.mmu.translate(0xc0100010))); // 0x00100010
machine.vmm.alloc(4, { kernel: true, writable: true, cachable: true }); // the kernel VMM, live
const described = describeMachine(machine, report); // the `kmem boot --json` object
const exported = exportMachine(machine);            // { ram, machine: { memoryBytes, cr3, cr4Pse, regions } }
console.log(described.selfCheck.ok, exported.ram.length);
