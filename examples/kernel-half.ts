import { PhysicalMemory, PhysicalMemoryManager, VirtualMemoryManager, hex } from "kmem";
import { TableMapper } from "kmem/paging";
import { x86Codec } from "kmem/x86";

// An x86-64 kernel half, [0xFFFF800000000000, 2^64): bigint bounds make a bigint VMM.
const ram = new PhysicalMemory(16 * 2 ** 20);
const pmm = new PhysicalMemoryManager({ memoryBytes: ram.size, reserved: [{ start: 0, end: 0x100000 }] });
const mapper = new TableMapper({ codec: x86Codec("x86-64"), bus: ram, frames: pmm });
const vmm = new VirtualMemoryManager({ start: 0xffff_8000_0000_0000n, end: 2n ** 64n, pmm, mapper, payload: mapper.createRoot() });

const at = vmm.alloc(4, { kernel: true, writable: true, cachable: true });
if (at === null) throw new Error("out of memory");
console.log("alloc 4 blocks ->", hex(at), "backed by", hex(vmm.virtToPhys(at)));
console.log("last page:", hex(vmm.alloc(1, { kernel: true, writable: false, cachable: true }, 2n ** 64n - 0x1000n)!));
console.log("blocks:", vmm.numBlocks, "free extents:", vmm.stats().freeExtents);
