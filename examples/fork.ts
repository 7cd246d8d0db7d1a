import { AccessDriver, AddressSpace, DEFAULT_PROFILE, boot, hex, kernelHalfOf } from "kmem";

const machine = boot(DEFAULT_PROFILE);
const driver = new AccessDriver(machine.mmu);
const parent = AddressSpace.create(kernelHalfOf(machine));
parent.reserveLazy(0x1000_0000, 1, { kernel: false, writable: true, cachable: true }, { label: "heap" });

const first = driver.run({ task: parent, vaddr: 0x1000_0000, op: "write", value: 1 });
console.log("parent write:", first.faults.map((f) => f.kind).join(", "), "->", hex(first.physical ?? 0));

const child = driver.fork(parent);
const shared = driver.run({ task: child, vaddr: 0x1000_0000, op: "read" });
console.log("child read:  ", shared.value, "from the same frame", hex(shared.physical ?? 0));

const copy = driver.run({ task: child, vaddr: 0x1000_0000, op: "write", value: 2 });
console.log("child write: ", copy.faults.map((f) => f.kind).join(", "), "->", hex(copy.physical ?? 0));

const takeOver = driver.run({ task: parent, vaddr: 0x1000_0000, op: "write", value: 3 });
console.log("parent write:", takeOver.faults.map((f) => f.kind).join(", "), "->", hex(takeOver.physical ?? 0));
console.log("parent sees", driver.run({ task: parent, vaddr: 0x1000_0000, op: "read" }).value, "and the child", driver.run({ task: child, vaddr: 0x1000_0000, op: "read" }).value);
