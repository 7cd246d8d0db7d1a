import { CR0_PG, CR0_WP, CR4_PAE, EFER_LME, EFER_NXE, PhysicalMemory, PhysicalMemoryManager, RiscvMmu, TableMapper, X86Mmu, riscvCodec, x86Codec } from "kmem";

const ram = new PhysicalMemory(64 * 1024 * 1024);
const pmm = new PhysicalMemoryManager({ memoryBytes: ram.size });
const kernel = { kernel: true, writable: true, cachable: true, executable: false };

// x86-64, 4-level: a 2 MiB page at the kernel's usual base.
const x86 = new TableMapper({ codec: x86Codec("x86-64"), bus: ram, frames: pmm, largePages: true });
const pml4 = x86.createRoot();
x86.map(0xffffffff80000000n, 0xffffffff80200000n, 0x1000000n, 0x1200000n, kernel, pml4);
const cpu = new X86Mmu({ bus: ram, state: { cr0: CR0_PG | CR0_WP, cr3: pml4, cr4: CR4_PAE, efer: EFER_LME | EFER_NXE } });
cpu.translate(0xffffffff80001234n);                  // 0x1001234
cpu.tryTranslate(0xffffffff80001234n, { fetch: true }); // -1 - 0x11: #PF, P and I/D (the page is NX)

// RISC-V Sv39: the same kernel mapping, satp = MODE 8 | root PPN.
const sv39 = new TableMapper({ codec: riscvCodec("riscv-sv39"), bus: ram, frames: pmm, largePages: true });
const root = sv39.createRoot();
sv39.map(0xffffffff80000000n, 0xffffffff80200000n, 0x1000000n, 0x1200000n, kernel, root);
const hart = new RiscvMmu({ bus: ram, state: { satp: (8n << 60n) | BigInt(root / 4096), priv: "S" } });
hart.translate(0xffffffff80001234n, { write: true }); // 0x1001234; sets A and D as QEMU does
