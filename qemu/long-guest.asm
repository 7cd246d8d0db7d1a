; The long-mode guest of `kmem verify-qemu` (src/node/qemu/long-probes.ts): a multiboot image
; that copies staged table frames into place, enables 4- or 5-level paging with kmem's tables
; (plus the identity mapping of this guest the host adds), enters 64-bit mode and makes one
; access per probe record — a read, a write or a fetch from ring 0 or ring 3 — recording the
; value read (or where the fetched `int 0x80` came back from), or the vector, error code and
; CR2 of the fault. Build:
;   nasm -f bin -DGUEST_BASE=0x100000 long-guest.asm

%ifndef GUEST_BASE
%error "define GUEST_BASE (the physical load address, page-aligned)"
%endif

org GUEST_BASE

MB_MAGIC          equ 0x1BADB002
MB_FLAG_AOUT      equ 1 << 16
MB_CHECKSUM       equ -(MB_MAGIC + MB_FLAG_AOUT)
MSR_EFER          equ 0xC0000080
CR0_PG_WP         equ (1 << 31) | (1 << 16)
COPY_DST          equ 0
COPY_SRC          equ 4
COPY_LEN          equ 8
COPY_SIZE         equ 12
KERNEL_CS         equ 0x08
KERNEL_DS         equ 0x10
USER_DS           equ 0x18
USER_CS           equ 0x20
TSS_SEL           equ 0x28
IDT_BASE          equ GUEST_BASE + 0x2000   ; 256 gates of 16 bytes
STACK_TOP         equ GUEST_BASE + 0x4000
RECORD_SIZE       equ 48                    ; vaddr, kind, value, vector, error code, CR2
R_VADDR           equ 0
R_KIND            equ 8                     ; bit 0: write; bit 1: ring 3; bit 2: fetch (jump to vaddr, where `int 0x80` waits)
R_VALUE           equ 16                    ; in: the value a write stores; out: the value read
R_VECTOR          equ 24                    ; out: 0xFFFFFFFF when no fault
R_ERROR           equ 32
R_CR2             equ 40                    ; out: CR2 of a fault, or where a fetch's `int 0x80` returned from
STATUS_DONE       equ 0x454E4F44            ; "DONE"

bits 32
multiboot_header:                          ; offset 0
    dd MB_MAGIC
    dd MB_FLAG_AOUT
    dd MB_CHECKSUM
    dd multiboot_header                    ; header_addr
    dd GUEST_BASE                          ; load_addr
    dd image_end                           ; load_end_addr
    dd GUEST_BASE + 0x4000                 ; bss_end_addr: the IDT and stack pages, zeroed
    dd entry                               ; entry_addr

config:                                    ; offset 32: patched by the host
    .cr3:          dd 0
    .cr4:          dd 0
    .efer:         dd 0
    .copy_table:   dd 0
    .copy_count:   dd 0
    .records:      dd 0                    ; offset 52: physical (= virtual) address of the records
    .record_count: dd 0
    .status:       dd 0                    ; offset 60: STATUS_DONE when every probe ran

align 8
gdt:
    dq 0
    dq 0x00209A0000000000                  ; 0x08 kernel code, 64-bit
    dq 0x0000920000000000                  ; 0x10 kernel data
    dq 0x0000F20000000000                  ; 0x18 user data (DPL 3)
    dq 0x0020FA0000000000                  ; 0x20 user code, 64-bit (DPL 3)
tss_descriptor:                            ; 0x28 64-bit TSS (base filled in at run time)
    dw tss_end - tss - 1
    dw 0
    db 0
    db 0x89
    db 0
    db 0
    dd 0
    dd 0
gdt_end:

gdt_pointer:
    dw gdt_end - gdt - 1
    dd gdt
idt_pointer:
    dw 256 * 16 - 1
    dq IDT_BASE

align 8
tss:
    dd 0
    dq STACK_TOP                           ; RSP0: the stack a fault from ring 3 switches to
    times 23 dd 0
tss_end:

entry:
    cli
    cld
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
    mov eax, tss                           ; the TSS descriptor's base
    mov [tss_descriptor + 2], ax
    shr eax, 16
    mov [tss_descriptor + 4], al
    mov [tss_descriptor + 7], ah
    mov edi, IDT_BASE                      ; every vector: an interrupt gate to `fault` (DPL 3: `int` from ring 3 too)
    mov ecx, 256
.gate:
    mov eax, fault_stubs
    mov edx, 256
    sub edx, ecx
    imul edx, edx, STUB_SIZE
    add eax, edx
    mov [edi], ax
    mov word [edi + 2], KERNEL_CS
    mov word [edi + 4], 0xEE00
    shr eax, 16
    mov [edi + 6], ax
    mov dword [edi + 8], 0
    mov dword [edi + 12], 0
    add edi, 16
    loop .gate
    lgdt [gdt_pointer]
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
    mov cr0, eax                           ; long mode, compatibility: fetched through the identity mapping
    jmp KERNEL_CS:long_entry

bits 64
long_entry:
    mov ax, KERNEL_DS
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov rsp, STACK_TOP
    lidt [idt_pointer]
    mov ax, TSS_SEL
    ltr ax
    mov ebx, [config.records]
    mov r14d, [config.record_count]
.probe:
    test r14, r14
    jz .done
    mov rdi, [rbx + R_VADDR]
    mov rax, [rbx + R_VALUE]
    mov dword [rbx + R_VECTOR], 0xFFFFFFFF
    lea r15, [rel .next]
    mov rcx, [rbx + R_KIND]
    test rcx, 2
    jnz .user
    test rcx, 4
    jz .kernel_data
    jmp rdi                                ; a ring-0 fetch
.kernel_data:
    test rcx, 1
    jnz .kernel_write
    mov rax, [rdi]
    mov [rbx + R_VALUE], rax
    jmp .next
.kernel_write:
    mov [rdi], rax
    jmp .next
.user:
    push USER_DS | 3
    push 0
    push 2                                 ; RFLAGS: IF clear
    push USER_CS | 3
    mov rdx, rdi                           ; a ring-3 fetch: iretq straight to vaddr
    test rcx, 4
    jnz .go
    test rcx, 1
    jnz .push_write
    lea rdx, [rel user_read]
    jmp .go
.push_write:
    lea rdx, [rel user_write]
.go:
    push rdx
    iretq
.next:
    add rbx, RECORD_SIZE
    dec r14
    jmp .probe
.done:
    mov dword [config.status], STATUS_DONE
.halt:
    hlt
    jmp .halt

user_read:                                 ; ring 3: the read, then back to ring 0 through `int 0x80`
    mov rax, [rdi]
    int 0x80
user_write:
    mov [rdi], rax
    int 0x80

; One stub per vector: push a dummy error code where the CPU pushes none, then the vector.
STUB_SIZE equ 16
align STUB_SIZE, db 0x90
fault_stubs:
%assign v 0
%rep 256
    %if v = 8 || (v >= 10 && v <= 14) || v = 17
        nop
        nop
    %else
        push 0
    %endif
    push v
    jmp fault
    align STUB_SIZE, db 0x90
%assign v v + 1
%endrep

fault:                                     ; [rsp] vector, [rsp+8] error code, then the iret frame
    pop rcx
    pop rdx
    cmp rcx, 0x80
    je .returned                           ; the ring-3 stub came back: its access did not fault
    mov [rbx + R_VECTOR], ecx
    mov [rbx + R_ERROR], rdx
    mov rdx, cr2
    mov [rbx + R_CR2], rdx
    jmp .resume
.returned:
    mov [rbx + R_VALUE], rax
    mov rdx, [rsp]                         ; the RIP after `int 0x80`
    mov [rbx + R_CR2], rdx
.resume:                                   ; continue at r15 in ring 0 on the kernel stack
    mov [rsp], r15
    mov qword [rsp + 8], KERNEL_CS
    mov qword [rsp + 16], 2
    mov qword [rsp + 24], STACK_TOP
    mov qword [rsp + 32], KERNEL_DS
    iretq

image_end:
times 0x2000 - (image_end - $$) db 0        ; fails to assemble when the image would overlap the IDT page
