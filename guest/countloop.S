# countloop: a loop whose instructions can be counted by hand, for the exact
# instruction accounting test. No runtime: 1 + 2*N + 4 instructions, N = 1000.
# It exits with the cycle counter read by rdtsc as its status argument (in ebx).
    .text
    .globl _start
_start:
    mov $1000, %ecx         # 1
1:  dec %ecx                # N
    jnz 1b                  # N
    rdtsc                   # 1: edx:eax = the simulated cycle counter
    mov %eax, %ebx          # 1
    mov $1, %eax            # 1: exit
    int $0x80               # 1

    .section .note.GNU-stack,"",@progbits
