; A multiboot guest that turns on paging in any x86 mode for the QEMU checks of `kmem inspect`
; (test/node/inspect-qemu-x86.test.ts) and `kmem verify-qemu` (src/node/qemu/mode-verify.ts):
; it copies staged table frames into place (after the firmware is done with low memory),
; loads CR4, EFER and CR3 from its configuration words (patched in by the caller), sets
; CR0.PG|WP — which enters PAE paging, or long mode (compatibility mode, still running this
; 32-bit code) when EFER.LME is set — and halts. When the tables identity-map this page it
; halts in a loop; otherwise the next fetch page-faults and, with an empty IDT, the CPU
; triple-faults, which QEMU run with -no-reboot -no-shutdown turns into a stop with the CPU
; state (CR0, CR3, CR4, EFER) left as it was. Either way paging is on with kmem's tables.
; Build: nasm -f bin -DGUEST_BASE=0x100000 mode-guest.asm

bits 32

%ifndef GUEST_BASE
%error "define GUEST_BASE (the physical load address, page-aligned)"
%endif

org GUEST_BASE

MB_MAGIC          equ 0x1BADB002
MB_FLAG_AOUT      equ 1 << 16             ; load addresses come from the header
MB_CHECKSUM       equ -(MB_MAGIC + MB_FLAG_AOUT)
MSR_EFER          equ 0xC0000080
CR0_PG_WP         equ (1 << 31) | (1 << 16)
COPY_DST          equ 0                   ; copy descriptor: destination physical address
COPY_SRC          equ 4                   ; copy descriptor: source physical address
COPY_LEN          equ 8                   ; copy descriptor: length in bytes (multiple of 4)
COPY_SIZE         equ 12

multiboot_header:                          ; offset 0
    dd MB_MAGIC
    dd MB_FLAG_AOUT
    dd MB_CHECKSUM
    dd multiboot_header                    ; header_addr
    dd GUEST_BASE                          ; load_addr
    dd image_end                           ; load_end_addr
    dd image_end                           ; bss_end_addr
    dd entry                               ; entry_addr

config:                                    ; offset 32: patched by the test
    .cr3:  dd 0
    .cr4:  dd 0
    .efer: dd 0                            ; bits or-ed into EFER (LME, NXE)
    .copy_table: dd 0                      ; offset 44: physical address of the copy descriptors
    .copy_count: dd 0                      ; offset 48: how many (0: nothing to copy)

empty_idt:                                 ; limit 0: any exception ends in a triple fault
    dw 0
    dd 0

entry:
    cli
    cld
    lidt [empty_idt]
    mov ebx, [config.copy_table]
    mov edx, [config.copy_count]
.copy:
    test edx, edx
    jz .copied
    mov edi, [ebx + COPY_DST]
    mov esi, [ebx + COPY_SRC]
    mov ecx, [ebx + COPY_LEN]
    shr ecx, 2
    rep movsd
    add ebx, COPY_SIZE
    dec edx
    jmp .copy
.copied:
    mov eax, [config.cr4]
    mov cr4, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, [config.efer]
    wrmsr
    mov eax, [config.cr3]
    mov cr3, eax
    mov eax, cr0
    or eax, CR0_PG_WP
    mov cr0, eax
    jmp .halt                              ; the first fetch through the tables
.halt:
    hlt
    jmp .halt

image_end:
