# Process entry for syscluster guests: the kernel leaves argc, argv, envp on the
# stack (i386 System V); call main(argc, argv, envp) and exit with its result.
    .text
    .globl _start
    .type _start, @function
_start:
    xor %ebp, %ebp
    mov (%esp), %eax            # argc
    lea 4(%esp), %ecx           # argv
    lea 8(%esp,%eax,4), %edx    # envp, past argv's NULL
    and $-16, %esp
    sub $4, %esp                # keep the call 16-byte aligned
    push %edx
    push %ecx
    push %eax
    call main
    mov %eax, (%esp)
    call exit
    hlt

    .section .note.GNU-stack,"",@progbits
