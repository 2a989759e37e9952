# sysenter without the vDSO's help (run with --vdso on): the stack set up as
# __kernel_vsyscall sets it up (a return address, then ecx, edx, ebp, and ebp = esp),
# getpid by sysenter; the kernel returns to the vDSO's landing pad, which pops ebp, edx,
# ecx and returns to label 1. Exits 0 when getpid answered 1000 and ebp came back.
# With an argument, ebp points at nothing: the kernel cannot read the sixth argument
# (-EFAULT) and the landing pad's pops fault (SIGSEGV), as on Linux.
    .text
    .globl _start
    .type _start, @function
_start:
    cmpl $1, (%esp)             # argc
    jne bad
    mov $7, %ebp                # the caller's ebp: the kernel reads it from [ebp] and restores it
    push $1f
    push %ecx
    push %edx
    push %ebp
    mov %esp, %ebp
    mov $20, %eax               # getpid
    sysenter
    ud2                         # never reached
1:  xor %ebx, %ebx
    cmp $7, %ebp
    setne %bl
    cmp $1000, %eax
    setne %cl
    or %cl, %bl
    mov $1, %eax                # exit(ebx)
    int $0x80
bad:
    mov $0x10, %ebp
    mov %ebp, %esp
    mov $20, %eax
    sysenter
    ud2

    .section .note.GNU-stack,"",@progbits
