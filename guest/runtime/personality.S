# The project's personality note: these guests issue int 0x80 with the paper's
# numbering (Linux 2.4, multi-call at 240). See README, "Personalities".
    .section .note.syscluster, "a", @note
    .balign 4
    .long 11                    # namesz: "syscluster\0"
    .long 6                     # descsz: "paper\0"
    .long 1                     # type: the personality
    .asciz "syscluster"
    .balign 4
    .asciz "paper"
    .balign 4

    .section .note.GNU-stack,"",@progbits
