# tls: thread-local storage as a C library sets it up. set_thread_area with entry -1
# takes a free GDT slot, %gs is loaded with its selector, and %gs-relative loads reach
# the thread block. Exits with the byte read through %gs (42), or 1-3 on a failure.
# set_thread_area is 243 in today's i386 numbering: the note asks for the modern one.

    .section .note.syscluster, "a", @note
    .balign 4
    .long 11                    # namesz: "syscluster\0"
    .long 7                     # descsz: "modern\0"
    .long 1                     # type: the personality
    .asciz "syscluster"
    .balign 4
    .asciz "modern"
    .balign 4

    .data
    .balign 16
block:
    .long 0, 0x55667788         # %gs:0 and %gs:4
desc:                           # struct user_desc
    .long -1                    # entry_number: any free slot
    .long block                 # base_addr
    .long 0xfffff               # limit (in pages: 4 GiB)
    .long 0x51                  # seg_32bit | limit_in_pages | useable

    .text
    .globl _start
_start:
    mov $243, %eax              # set_thread_area(&desc)
    mov $desc, %ebx
    int $0x80
    mov $1, %ebx
    test %eax, %eax
    jnz done
    mov desc, %eax              # the slot the kernel chose
    shl $3, %eax
    or $3, %eax                 # GDT, ring 3
    mov %eax, %gs
    mov $2, %ebx
    cmpl $0x55667788, %gs:4
    jne done
    movl $42, block             # written through the flat address ...
    mov %gs:0, %ebx             # ... read back through %gs
    mov $3, %eax
    cmp $42, %ebx
    cmovne %eax, %ebx
done:
    mov $1, %eax                # exit(ebx)
    int $0x80
    hlt

    .section .note.GNU-stack,"",@progbits
