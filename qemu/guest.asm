; kmem's QEMU fidelity guest: a 32-bit multiboot (v1) kernel that turns on paging with
; page tables built by kmem, makes real memory accesses through them in ring 0 and ring 3,
; then halts so the host can read QEMU's view of the tables and the outcome of every access.
;
; Build: nasm -f bin -D GUEST_BASE=0x... -o guest.bin guest.asm
; The host (src/node/qemu/guest.ts) patches the configuration block below and loads a
; "staging" blob above the profile's memory with QEMU's generic loader. The guest:
;  1. copies every staged chunk (the page directory, the page tables, the probe records)
;     to its physical address, only now that the firmware is done with low memory;
;  2. writes a tag (physical address | 1) at the start of every frame a probe expects;
;  3. copies its ring-3 stub to the frame behind the user page the host names;
;  4. loads its own GDT (ring-0 and ring-3 segments, a TSS) and IDT (#GP, #PF, a ring-3 gate);
;  5. loads CR3, sets CR4.PSE and CR0.WP as asked, sets CR0.PG;
;  6. for every probe: in ring 0, reads a dword at its virtual address and writes it back;
;     then (with a user page) the same from ring 3 through the stub; it records the values
;     read and each access's page-fault error code (CR2 checked);
;  7. halts for good.
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
PROBE_PAGES       equ 30                  ; pages of probe records after the image page
PROBE_BYTES       equ 32                  ; one probe record
PROBE_VADDR       equ 0                   ; in: page-aligned virtual address; bit 0: tag the frame
PROBE_VALUE       equ 4                   ; in: expected frame to tag; out: the dword read in ring 0
PROBE_READ        equ 8                   ; out: page-fault error code of the ring-0 read, or NO_FAULT
PROBE_WRITE       equ 12                  ; out: ... of the ring-0 write
PROBE_UVALUE      equ 16                  ; out: the dword read in ring 3
PROBE_UREAD       equ 20                  ; out: ... of the ring-3 read
PROBE_UWRITE      equ 24                  ; out: ... of the ring-3 write
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
STATUS_GP         equ 0x50472321          ; stopped on a general-protection fault
STATUS_STRAY_PF   equ 0x46502321          ; stopped on a page fault outside a probe

CODE_SELECTOR     equ 0x08
DATA_SELECTOR     equ 0x10
USER_CODE         equ 0x18 | 3
USER_DATA         equ 0x20 | 3
TSS_SELECTOR      equ 0x28
GATE_KERNEL       equ 0x8E00              ; present, DPL 0, 32-bit interrupt gate
GATE_USER         equ 0xEE00              ; present, DPL 3, 32-bit interrupt gate
GP_VECTOR         equ 13
PF_VECTOR         equ 14
RETURN_VECTOR     equ 32                  ; `int` from the ring-3 stub back to ring 0
EFLAGS_RING3      equ 0x2                 ; reserved bit 1 only: interrupts stay off
IRET_FRAME_RING3  equ 20                  ; EIP, CS, EFLAGS, ESP, SS
TSS_BYTES         equ 104
STACK_BYTES       equ 512

; An IDT gate for handler %1 of type %2 (its address is known when assembling).
%macro GATE 2
    dw (GUEST_BASE + (%1 - $$)) & 0xFFFF
    dw CODE_SELECTOR
    dw %2
    dw (GUEST_BASE + (%1 - $$)) >> 16
%endmacro

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
    .user_stub:   dd 0                     ; virtual address of a user page for the ring-3 stub, or 0
    .user_phys:   dd 0                     ; its frame (the stub is copied there before paging)
    .fault_eip:   dd 0                     ; where an unexpected fault stopped the guest
    .fault_cr2:   dd 0

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

    mov edi, [config.user_phys]            ; the ring-3 stub goes behind the user page
    test edi, edi
    jz .no_stub
    mov esi, user_stub
    mov ecx, user_stub_end - user_stub
    rep movsb
.no_stub:

    lgdt [gdt_descriptor]
    jmp CODE_SELECTOR:.flat
.flat:
    mov ax, DATA_SELECTOR
    mov ss, ax
    mov ax, USER_DATA                      ; usable from ring 0 and ring 3 alike
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ax, TSS_SELECTOR
    ltr ax
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
probe_loop:
    test ecx, ecx
    jz probes_done
    mov esi, [ebx + PROBE_VADDR]
    and esi, ~PROBE_TAG_FLAG
    mov dword [ebx + PROBE_READ], NO_FAULT
    mov dword [ebx + PROBE_WRITE], NO_FAULT
    mov dword [ebx + PROBE_UREAD], NO_FAULT
    mov dword [ebx + PROBE_UWRITE], NO_FAULT
    mov dword [ebx + PROBE_UVALUE], 0
    xor eax, eax
kernel_read:
    mov eax, [esi]                         ; ring-0 read (a fault resumes at kernel_write with eax = 0)
kernel_write:
    mov [esi], eax                         ; ring-0 write of the same value (a fault resumes at kernel_done)
kernel_done:
    mov [ebx + PROBE_VALUE], eax
    mov edx, [config.user_stub]
    test edx, edx
    jz probe_next
    xor eax, eax
    push dword USER_DATA                   ; SS
    push dword 0                           ; ESP: the stub uses no stack
    push dword EFLAGS_RING3
    push dword USER_CODE
    push edx                               ; EIP: the stub
    iretd
return_from_user:                          ; the stub's `int RETURN_VECTOR`
    add esp, IRET_FRAME_RING3
    mov [ebx + PROBE_UVALUE], eax
probe_next:
    add ebx, PROBE_BYTES
    dec ecx
    jmp probe_loop
probes_done:
    mov dword [config.status], STATUS_DONE
halt:
    hlt
    jmp halt

; #PF: record the error code (or-ed with CR2_MISMATCH when CR2 is not the probe's address)
; in the slot of the access that faulted, found from the faulting EIP, and resume after it.
; A faulted read continues with eax = 0.
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
    mov edx, [esp + 16]                    ; the faulting EIP
    cmp edx, kernel_read
    je .kernel_read
    cmp edx, kernel_write
    je .kernel_write
    mov edi, [config.user_stub]
    sub edx, edi
    cmp edx, user_read - user_stub
    je .user_read
    cmp edx, user_write - user_stub
    je .user_write
    mov edx, [esp + 16]
    mov [config.fault_eip], edx
    mov edx, cr2
    mov [config.fault_cr2], edx
    mov dword [config.status], STATUS_STRAY_PF
    jmp stop
.kernel_read:
    mov [ebx + PROBE_READ], eax
    mov dword [esp + 16], kernel_write
    mov dword [esp + 8], 0
    jmp .resume
.kernel_write:
    mov [ebx + PROBE_WRITE], eax
    mov dword [esp + 16], kernel_done
    jmp .resume
.user_read:
    mov [ebx + PROBE_UREAD], eax
    lea edx, [edi + user_write - user_stub]
    mov [esp + 16], edx
    mov dword [esp + 8], 0
    jmp .resume
.user_write:
    mov [ebx + PROBE_UWRITE], eax
    lea edx, [edi + user_done - user_stub]
    mov [esp + 16], edx
.resume:
    pop edi
    pop edx
    pop eax
    add esp, 4                             ; drop the error code
    iretd

; #GP: nothing here should raise one; record where and stop.
general_protection:
    mov eax, [esp + 4]                     ; the EIP after the error code
    mov [config.fault_eip], eax
    mov dword [config.status], STATUS_GP
stop:
    cli
    hlt
    jmp stop

; The ring-3 stub, copied to the user page's frame: read, write back, return to ring 0.
; Position-independent; the #PF handler knows these offsets.
user_stub:
user_read:
    mov eax, [esi]
user_write:
    mov [esi], eax
user_done:
    int RETURN_VECTOR
user_stub_end:

align 8
gdt:
    dq 0
    dq 0x00CF9A000000FFFF                  ; 0x08: code, base 0, 4 GiB, 32-bit, DPL 0
    dq 0x00CF92000000FFFF                  ; 0x10: data, base 0, 4 GiB, DPL 0
    dq 0x00CFFA000000FFFF                  ; 0x18: code, base 0, 4 GiB, 32-bit, DPL 3
    dq 0x00CFF2000000FFFF                  ; 0x20: data, base 0, 4 GiB, DPL 3
    dw TSS_BYTES - 1                       ; 0x28: the TSS (32-bit, available)
    dw (GUEST_BASE + (tss - $$)) & 0xFFFF
    db ((GUEST_BASE + (tss - $$)) >> 16) & 0xFF
    db 0x89
    db 0x00
    db (GUEST_BASE + (tss - $$)) >> 24
gdt_end:
gdt_descriptor:
    dw gdt_end - gdt - 1
    dd gdt

align 8
idt:                                       ; vectors 0..32: #GP, #PF and the ring-3 return gate
    times GP_VECTOR dq 0
    GATE general_protection, GATE_KERNEL
    GATE page_fault, GATE_KERNEL
    times RETURN_VECTOR - PF_VECTOR - 1 dq 0
    GATE return_from_user, GATE_USER
idt_end:
idt_descriptor:
    dw idt_end - idt - 1
    dd idt

align 4
tss:                                       ; only SS0:ESP0 matter: the ring-0 stack for ring-3 traps
    dd 0
    dd stack_top                           ; ESP0
    dd DATA_SELECTOR                       ; SS0
    times 22 dd 0
    dw 0
    dw TSS_BYTES                           ; no I/O permission bitmap

    times (PAGE_BYTES - STACK_BYTES - 16) - ($ - $$) db 0   ; fails to assemble if the code outgrows its page
image_end:

absolute image_end
alignb 16
stack:      resb STACK_BYTES
stack_top:

absolute GUEST_BASE + PAGE_BYTES
probes:     resb PROBE_PAGES * PAGE_BYTES
bss_end:
