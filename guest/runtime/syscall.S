# long syscall(long nr, ...): any call by number, with up to six arguments, for calls
# the runtime has no stub for (a specialized call of your own, a number under test).
# The i386 ABI: the number in eax, arguments in ebx, ecx, edx, esi, edi, ebp, int $0x80,
# the result in eax (a negative errno on failure). All six registers are loaded from the
# caller's stack whether passed or not: the kernel reads only as many as the call takes.
    .text
    .globl syscall
    .type syscall, @function
syscall:
    push %ebp
    push %edi
    push %esi
    push %ebx
    mov 20(%esp), %eax          # nr (4 saved registers + the return address above it)
    mov 24(%esp), %ebx
    mov 28(%esp), %ecx
    mov 32(%esp), %edx
    mov 36(%esp), %esi
    mov 40(%esp), %edi
    mov 44(%esp), %ebp
    int $0x80
    pop %ebx
    pop %esi
    pop %edi
    pop %ebp
    ret

    .section .note.GNU-stack,"",@progbits
