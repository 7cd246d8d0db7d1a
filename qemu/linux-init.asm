; A Linux init for kmem's real-kernel check (scripts/linux-inspect-check.ts): a static x86-64
; ELF executable, no libc. It maps 16 anonymous pages read-write and touches them (so the
; process has user data pages besides its text), says "kmem-init-ready" on the console, then
; spins in user mode, where the check stops the VM and dumps it.
; Build: nasm -f bin -o init linux-init.asm

BITS 64
ORG 0x400000

SYS_WRITE equ 1
SYS_MMAP equ 9
PROT_READ_WRITE equ 3
MAP_PRIVATE_ANONYMOUS equ 0x22
DATA_PAGES equ 16
PAGE equ 4096

ehdr:
  db 0x7f, "ELF", 2, 1, 1, 0        ; ELFCLASS64, little-endian, version 1, System V
  times 8 db 0
  dw 2                              ; e_type: ET_EXEC
  dw 62                             ; e_machine: EM_X86_64
  dd 1                              ; e_version
  dq start                          ; e_entry
  dq phdr - $$                      ; e_phoff
  dq 0                              ; e_shoff
  dd 0                              ; e_flags
  dw ehdr_size                      ; e_ehsize
  dw phdr_size                      ; e_phentsize
  dw 1                              ; e_phnum
  dw 0, 0, 0                        ; e_shentsize, e_shnum, e_shstrndx
ehdr_size equ $ - ehdr

phdr:
  dd 1                              ; p_type: PT_LOAD
  dd 5                              ; p_flags: R | X
  dq 0                              ; p_offset
  dq $$                             ; p_vaddr
  dq $$                             ; p_paddr
  dq file_size                      ; p_filesz
  dq file_size                      ; p_memsz
  dq PAGE                           ; p_align
phdr_size equ $ - phdr

start:
  mov eax, SYS_MMAP
  xor edi, edi
  mov esi, DATA_PAGES * PAGE
  mov edx, PROT_READ_WRITE
  mov r10d, MAP_PRIVATE_ANONYMOUS
  mov r8, -1
  xor r9d, r9d
  syscall
  mov ecx, DATA_PAGES
.touch:
  mov byte [rax], 1
  add rax, PAGE
  dec ecx
  jnz .touch
  mov eax, SYS_WRITE
  mov edi, 1
  lea rsi, [rel ready]
  mov edx, ready_size
  syscall
.spin:
  pause
  jmp .spin

ready: db "kmem-init-ready", 10
ready_size equ $ - ready
file_size equ $ - $$
