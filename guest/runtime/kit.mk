# The guest kit's flags and runtime, shared by guest/Makefile and `syscluster cc`
# (cli/guestkit.ts reads this file): i386, static, no libc, the host gcc, no multilib.
KIT_CFLAGS := -m32 -static -nostdlib -ffreestanding -fno-pic -no-pie -fno-builtin -fno-stack-protector \
          -fcf-protection=none -fno-asynchronous-unwind-tables -O2 -Wall
KIT_LDFLAGS := -Wl,--build-id=none -Wl,-z,noexecstack
KIT_RUNTIME := runtime/start.S build/usys.S runtime/syscall.S runtime/lib.c runtime/personality.S
