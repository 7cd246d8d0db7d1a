import { PhysicalMemoryManager, VirtualMemoryManager, PhysicalMemory, hex } from "kmem";
import { X86Paging, Mmu } from "kmem/x86";

const ram = new PhysicalMemory(16 * 2 ** 20);
const pmm = new PhysicalMemoryManager({ memoryBytes: ram.size, reserved: [{ start: 0, end: 0x100000 }] });
const paging = new X86Paging({ ram, frames: pmm });
const cr3 = paging.createDirectory();
const vmm = new VirtualMemoryManager({ start: 0x1000, end: 2 ** 32, pmm, mapper: paging, payload: cr3, memory: ram });
const mmu = new Mmu({ ram, cr3 });

const vaddr = vmm.alloc(2, { kernel: true, writable: true, cachable: true });
if (vaddr === null) throw new Error("out of memory");
mmu.write32(vaddr + 0x1000, 42);
console.log(hex(vaddr + 0x1000), "->", hex(mmu.translate(vaddr + 0x1000)), "holds", mmu.read32(vaddr + 0x1000));
