import { PhysicalMemory, PhysicalMemoryManager, VirtualMemoryManager, hex } from "kmem";
import { X86Paging } from "kmem/x86";

// A buddy PMM hands out naturally aligned runs, so an aligned allocation gets one 4 MiB page.
const ram = new PhysicalMemory(16 * 2 ** 20);
const pmm = new PhysicalMemoryManager({ memoryBytes: ram.size, reserved: [{ start: 0, end: 0x100000 }], policy: "buddy" });
const paging = new X86Paging({ ram, frames: pmm, largePages: true });
const cr3 = paging.createDirectory();
const vmm = new VirtualMemoryManager({ start: 0x1000, end: 2 ** 32, pmm, mapper: paging, payload: cr3 });

const at = vmm.alloc(1024, { kernel: true, writable: true, cachable: true }, { align: 0x400000 });
if (at === null) throw new Error("out of memory");
const [page] = paging.mappings(cr3);
console.log("alloc 1024 blocks ->", hex(at), "mapped by", paging.mappings(cr3).length, page?.large === true ? "4 MiB page" : "4 KiB pages", "at", hex(page?.phys ?? 0));
const free = pmm.stats();
console.log("physical free:", free.freeBlocks, "blocks in", free.freeExtents, "extents, the largest", free.largestFreeExtent);
