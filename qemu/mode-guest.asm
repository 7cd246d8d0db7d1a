; A multiboot guest that turns on paging in any x86 mode for `kmem inspect`'s QEMU checks
; (test/node/inspect-qemu-x86.test.ts): it loads CR4, EFER and CR3 from its configuration
; words (patched in by the test), sets CR0.PG|WP — which enters PAE paging, or long mode
; (compatibility mode, still running this 32-bit code) when EFER.LME is set — and halts.
; The tables must identity-map this page. Build: nasm -f bin -DGUEST_BASE=0x100000 mode-guest.asm

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

entry:
    cli
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
