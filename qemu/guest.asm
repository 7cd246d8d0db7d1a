; kmem's QEMU fidelity guest: a 32-bit multiboot (v1) kernel that turns on paging
; with page tables built by kmem, then halts so the host can read QEMU's view of them.
;
; Build: nasm -f bin -D GUEST_BASE=0x... -o guest.bin guest.asm
; The host (src/node/qemu/guest.ts) patches the configuration block below and loads
; a "staging" blob holding the table frames above the profile's memory with QEMU's
; generic loader. The guest copies every frame to its physical address only after
; the firmware has finished (so SeaBIOS cannot overwrite a table), loads CR3, sets
; CR4.PSE and CR0.WP as asked, sets CR0.PG and halts.
;
; The instruction after `mov cr0` is fetched through the new page tables, so this
; page must be identity-mapped (virtual == physical) by kmem: the host adds a
; reserved identity mapping of the guest's area to the profile.

bits 32

%ifndef GUEST_BASE
%error "define GUEST_BASE (the physical load address, page-aligned)"
%endif

org GUEST_BASE

MB_MAGIC          equ 0x1BADB002
MB_FLAG_AOUT      equ 1 << 16             ; load addresses come from the header
MB_CHECKSUM       equ -(MB_MAGIC + MB_FLAG_AOUT)

CONFIG_MAGIC      equ 0x474D454B          ; "KEMG" little-endian
FLAG_PSE          equ 1 << 0              ; config flags: set CR4.PSE
FLAG_WP           equ 1 << 1              ; config flags: set CR0.WP
CR4_PSE           equ 1 << 4
CR0_WP            equ 1 << 16
CR0_PG            equ 1 << 31
COPY_DST          equ 0                   ; copy descriptor: destination physical address
COPY_SRC          equ 4                   ; copy descriptor: source physical address
COPY_LEN          equ 8                   ; copy descriptor: length in bytes (multiple of 4)
COPY_SIZE         equ 12

STATUS_STARTED    equ 0x53544152          ; "RATS": entered, copying
STATUS_PAGING     equ 0x474E4950          ; "PING": about to set CR0.PG

multiboot_header:                          ; offset 0
    dd MB_MAGIC
    dd MB_FLAG_AOUT
    dd MB_CHECKSUM
    dd multiboot_header                    ; header_addr
    dd GUEST_BASE                          ; load_addr
    dd image_end                           ; load_end_addr
    dd image_end                           ; bss_end_addr
    dd entry                               ; entry_addr

config:                                    ; offset 32, patched by the host
    .magic:      dd CONFIG_MAGIC
    .cr3:        dd 0
    .flags:      dd 0
    .copy_table: dd 0                      ; physical address of the copy descriptors
    .copy_count: dd 0
    .status:     dd 0                      ; written by the guest, read back by the host

entry:
    cli
    cld
    mov dword [config.status], STATUS_STARTED

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

    mov eax, [config.cr3]
    mov cr3, eax

    test dword [config.flags], FLAG_PSE
    jz .no_pse
    mov eax, cr4
    or eax, CR4_PSE
    mov cr4, eax
.no_pse:

    mov eax, cr0
    test dword [config.flags], FLAG_WP
    jz .no_wp
    or eax, CR0_WP
.no_wp:
    or eax, CR0_PG
    mov dword [config.status], STATUS_PAGING
    mov cr0, eax                           ; the next fetch goes through kmem's tables
halt:
    hlt
    jmp halt

image_end:
