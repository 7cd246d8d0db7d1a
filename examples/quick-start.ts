import { DEFAULT_PROFILE, PageFault, boot, hex, selfCheck } from "kmem";

// Boot the built-in 128 MiB PC: PMM, kernel page directory in RAM, kernel VMM, MMU.
const machine = boot(DEFAULT_PROFILE);
console.log("self-check ok:", selfCheck(machine).ok);

// Allocate 4 blocks of user memory; the VMM backs them with PMM blocks and writes real PTEs.
const user = { kernel: false, writable: true, cachable: true };
const vaddr = machine.vmm.alloc(4, user);
if (vaddr === null) throw new Error("out of memory");
console.log("alloc 4 blocks ->", hex(vaddr), "backed by", hex(machine.vmm.virtToPhys(vaddr)));

// The MMU walks the tables in RAM, as the CPU would.
machine.mmu.write32(vaddr + 8, 0xcafef00d, { user: true });
console.log("read back:", hex(machine.mmu.read32(vaddr + 8, { user: true })));

// A user-mode read of the kernel image faults: present (bit 0) + user (bit 2) = error code 5.
try {
  machine.mmu.translate(0xc0100010, { user: true });
} catch (error) {
  if (!(error instanceof PageFault)) throw error;
  console.log("page fault at", hex(error.address), "error code", error.errorCode);
}

// Free it; without invlpg the TLB still holds the old translation, exactly as on hardware.
machine.vmm.free(vaddr);
machine.mmu.invlpg(vaddr);
