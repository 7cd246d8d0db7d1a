import { AccessDriver, AddressSpace, SwapDevice, SwapPool, bootMode, isWideKernelHalf, kernelHalfOfMode, readModeProfile } from "kmem";
import { readFileSync } from "node:fs";

// Two processes on an x86-64 machine share one system-wide bound of 4 resident pages.
const machine = bootMode(readModeProfile(JSON.parse(readFileSync(new URL("../profiles/x86-64.json", import.meta.url), "utf8"))));
const kernel = kernelHalfOfMode(machine);
if (!isWideKernelHalf(kernel)) throw new Error("x86-64 addresses are bigints");
const driver = new AccessDriver(machine.mmu);
const pool = new SwapPool({ frames: 4, policy: "clock", device: new SwapDevice(64) });
const rw = { kernel: false, writable: true, cachable: true };
const tasks = [AddressSpace.create(kernel), AddressSpace.create(kernel)];
for (const task of tasks) {
  task.reserveLazy(0x40_0000n, 8, rw, { label: "heap" });
  task.joinSwap(pool);
}

// Each process writes its 3 pages, then reads them back: 6 pages through 4 frames.
for (const [i, task] of tasks.entries()) {
  for (let page = 0n; page < 3n; page++) driver.run({ task, vaddr: 0x40_0000n + page * 0x1000n, op: "write", value: 10 * (i + 1) + Number(page) });
}
for (const [i, task] of tasks.entries()) {
  const values = [0n, 1n, 2n].map((page) => driver.run({ task, vaddr: 0x40_0000n + page * 0x1000n, op: "read" }).value);
  console.log(`process ${i}: reads ${values.join(", ")}; ${task.faults.minor} minor, ${task.faults.major} major faults, ${task.faults.evictions} pages evicted`);
}
console.log(`resident pages: ${pool.resident} of ${pool.frames}; device: ${pool.device.writes} pages written, ${pool.device.reads} read back`);
