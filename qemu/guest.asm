; kmem's QEMU fidelity guest: a 32-bit multiboot (v1) kernel that turns on paging with
; page tables built by kmem, makes real memory accesses through them, then halts so the
; host can read QEMU's view of the tables and the outcome of every access.
;
; Build: nasm -f bin -D GUEST_BASE=0x... -o guest.bin guest.asm
; The host (src/node/qemu/guest.ts) patches the configuration block below and loads a
; "staging" blob above the profile's memory with QEMU's generic loader. The guest:
;  1. copies every staged chunk (the page directory, the page tables, the probe records)
;     to its physical address, only now that the firmware is done with low memory;
;  2. writes a tag (physical address | 1) at the start of every frame a probe expects;
;  3. loads its own GDT and an IDT whose only gate is the page-fault handler;
;  4. loads CR3, sets CR4.PSE and CR0.WP as asked, sets CR0.PG;
;  5. for every probe: reads a dword at its virtual address, then writes it back, recording
;     the value read and each access's page-fault error code (CR2 checked);
;  6. halts for good.
;
; After `mov cr0` every fetch and data access goes through kmem's tables, so the whole
; guest area (code, stack, descriptor tables, probe records) must be identity-mapped
; (virtual == physical), kernel and writable: the host reserves it in the profile.

bits 32

%ifndef GUEST_BASE
%error "define GUEST_BASE (the physical load address, page-aligned)"
%endif

org GUEST_BASE

PAGE_BYTES        equ 4096
PROBE_PAGES       equ 14                  ; pages of probe records after the image page
PROBE_BYTES       equ 16                  ; one probe record
PROBE_VADDR       equ 0                   ; in: page-aligned virtual address; bit 0: tag the frame
PROBE_VALUE       equ 4                   ; in: expected frame to tag; out: the dword read
PROBE_READ        equ 8                   ; out: page-fault error code of the read, or NO_FAULT
PROBE_WRITE       equ 12                  ; out: page-fault error code of the write, or NO_FAULT
PROBE_TAG_FLAG    equ 1
NO_FAULT          equ 0xFFFFFFFF
CR2_MISMATCH      equ 0x100               ; or-ed into an error code when CR2 is not the probe's address
TAG_BIT           equ 1                   ; tag = frame | TAG_BIT (frames are page-aligned)

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

STATUS_STARTED    equ 0x53544152          ; entered, copying
STATUS_PAGING     equ 0x474E4950          ; about to set CR0.PG
STATUS_DONE       equ 0x454E4F44          ; every probe ran

CODE_SELECTOR     equ 0x08
DATA_SELECTOR     equ 0x10
PF_VECTOR         equ 14
GATE_INTERRUPT32  equ 0x8E00              ; present, DPL 0, 32-bit interrupt gate
STACK_BYTES       equ 512

multiboot_header:                          ; offset 0
    dd MB_MAGIC
    dd MB_FLAG_AOUT
    dd MB_CHECKSUM
    dd multiboot_header                    ; header_addr
    dd GUEST_BASE                          ; load_addr
    dd image_end                           ; load_end_addr
    dd bss_end                             ; bss_end_addr (QEMU zeroes it)
    dd entry                               ; entry_addr

config:                                    ; offset 32, patched by the host
    .magic:       dd CONFIG_MAGIC
    .cr3:         dd 0
    .flags:       dd 0
    .copy_table:  dd 0                     ; physical address of the copy descriptors
    .copy_count:  dd 0
    .status:      dd 0                     ; written by the guest, read back by the host
    .probe_count: dd 0                     ; records at probes (the host stages them there)
    .probe_table: dd probes                ; read by the host: where the records live

entry:
    cli
    cld
    mov esp, stack_top
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

    mov ebx, probes                        ; tag the frames the probes expect
    mov ecx, [config.probe_count]
.tag:
    test ecx, ecx
    jz .tagged
    test dword [ebx + PROBE_VADDR], PROBE_TAG_FLAG
    jz .next_tag
    mov edi, [ebx + PROBE_VALUE]
    mov eax, edi
    or eax, TAG_BIT
    mov [edi], eax
.next_tag:
    add ebx, PROBE_BYTES
    dec ecx
    jmp .tag
.tagged:

    lgdt [gdt_descriptor]
    jmp CODE_SELECTOR:.flat
.flat:
    mov ax, DATA_SELECTOR
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax

    mov eax, page_fault                    ; fill the page-fault gate's offset
    mov [idt + PF_VECTOR * 8], ax
    shr eax, 16
    mov [idt + PF_VECTOR * 8 + 6], ax
    lidt [idt_descriptor]

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
    mov cr0, eax                           ; from here on, every access goes through kmem's tables

    mov ebx, probes
    mov ecx, [config.probe_count]
.probe:
    test ecx, ecx
    jz .probed
    mov esi, [ebx + PROBE_VADDR]
    and esi, ~PROBE_TAG_FLAG
    mov dword [ebx + PROBE_READ], NO_FAULT
    mov dword [ebx + PROBE_WRITE], NO_FAULT
    mov dword [ebx + PROBE_VALUE], 0
    lea eax, [ebx + PROBE_READ]
    mov [fault_slot], eax
    mov dword [resume], .after_read
    xor eax, eax
    mov eax, [esi]                         ; the read (may fault)
    mov [ebx + PROBE_VALUE], eax
.after_read:
    lea edx, [ebx + PROBE_WRITE]
    mov [fault_slot], edx
    mov dword [resume], .after_write
    mov [esi], eax                         ; the write of the same value (may fault)
.after_write:
    add ebx, PROBE_BYTES
    dec ecx
    jmp .probe
.probed:
    mov dword [config.status], STATUS_DONE
halt:
    hlt
    jmp halt

; #PF: record the error code (and whether CR2 is the probe's address) in the current
; probe's slot, then resume after the faulting access.
page_fault:
    push eax
    push edx
    push edi
    mov eax, [esp + 12]                    ; the error code
    mov edx, cr2
    cmp edx, esi
    je .cr2_ok
    or eax, CR2_MISMATCH
.cr2_ok:
    mov edi, [fault_slot]
    mov [edi], eax
    mov eax, [resume]
    mov [esp + 16], eax                    ; the saved EIP
    pop edi
    pop edx
    pop eax
    add esp, 4                             ; drop the error code
    xor eax, eax                           ; a faulted read yields 0
    iretd

align 8
gdt:
    dq 0
    dq 0x00CF9A000000FFFF                  ; 0x08: code, base 0, 4 GiB, 32-bit, DPL 0
    dq 0x00CF92000000FFFF                  ; 0x10: data, base 0, 4 GiB, DPL 0
gdt_end:
gdt_descriptor:
    dw gdt_end - gdt - 1
    dd gdt

align 8
idt:                                       ; vectors 0..14; only #PF is present
    times PF_VECTOR dq 0
    dw 0                                   ; offset 15..0 (filled at run time)
    dw CODE_SELECTOR
    dw GATE_INTERRUPT32
    dw 0                                   ; offset 31..16 (filled at run time)
idt_end:
idt_descriptor:
    dw idt_end - idt - 1
    dd idt

    times (PAGE_BYTES - STACK_BYTES - 16) - ($ - $$) db 0   ; fails to assemble if the code outgrows its page
image_end:

absolute image_end
fault_slot: resd 1                         ; where the handler writes the error code
resume:     resd 1                         ; where the handler resumes
alignb 16
stack:      resb STACK_BYTES
stack_top:

absolute GUEST_BASE + PAGE_BYTES
probes:     resb PROBE_PAGES * PAGE_BYTES
bss_end:
