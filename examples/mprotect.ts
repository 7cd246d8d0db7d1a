import { AccessDriver, AddressSpace, DEFAULT_PROFILE, boot, hex, kernelHalfOf } from "kmem";

const machine = boot(DEFAULT_PROFILE);
const driver = new AccessDriver(machine.mmu, { audit: true });
const task = AddressSpace.create(kernelHalfOf(machine));
const rw = { kernel: false, writable: true, cachable: true };
const data = task.map(4, rw, { at: 0x1000_0000, label: "data" });
for (let page = 0; page < 4; page++) driver.run({ task, vaddr: data + page * 0x1000, op: "write", value: page + 1 });

// mprotect the middle two pages read-only: the region splits in three.
task.protect(data + 0x1000, data + 0x3000, { ...rw, writable: false });
for (const r of task.regions()) console.log(`${hex(r.virtual.start)}-${hex(r.virtual.end)} ${r.attrs.writable ? "rw" : "r-"} ${r.label}`);
const denied = driver.run({ task, vaddr: data + 0x1000, op: "write", value: 9 });
console.log("write to the read-only page:", denied.faults.map((f) => (f.kind === "segfault" ? `segfault (${f.reason})` : f.kind)).join(", "));

// munmap the last page: its frame goes back to the PMM.
const free = machine.pmm.blocksFree();
task.unmapRange(data + 0x3000, data + 0x4000);
console.log("frames freed by unmapRange:", machine.pmm.blocksFree() - free);

// A kernel bug: unmap a page in the tables and forget invlpg. The detector sees the TLB serve it.
machine.paging.unmap(data, data + 0x1000, task.root);
driver.run({ task, vaddr: data, op: "read" });
for (const s of driver.stale) console.log(`stale TLB entry: ${hex(Number(s.vaddr))} -> ${hex(s.cached)}, but the tables fault`);
