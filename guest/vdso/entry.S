/*
 * The vDSO's entry points, as Linux's i386 vDSO has them
 * (arch/x86/entry/vdso/vdso32/system_call.S and sigreturn.S).
 *
 * __kernel_vsyscall saves ecx, edx and ebp, then enters by sysenter with ebp holding the
 * user stack (the kernel reads the sixth argument, the caller's ebp, from [ebp]). The
 * kernel returns to int80_landing_pad, past the int $0x80. When the platform's entry path
 * is int 0x80, the loader overwrites the sysenter sequence (`movl %esp, %ebp; sysenter`)
 * with a four-byte nop, as Linux's ALTERNATIVE leaves it empty, and the call falls
 * through to int $0x80.
 */
	.text
	.globl	__kernel_vsyscall
	.type	__kernel_vsyscall, @function
	.p2align 4
	.globl	vdso_vsyscall
	.hidden	vdso_vsyscall
vdso_vsyscall:			/* the vDSO's own calls use this name: no relocation */
__kernel_vsyscall:
	pushl	%ecx
	pushl	%edx
	pushl	%ebp
	movl	%esp, %ebp
	sysenter
	int	$0x80
	.globl	int80_landing_pad
	.hidden	int80_landing_pad
int80_landing_pad:
	popl	%ebp
	popl	%edx
	popl	%ecx
	ret
	.size	__kernel_vsyscall, .-__kernel_vsyscall

/* The default signal return paths (the modern i386 numbers: sigreturn 119, rt_sigreturn 173). */
	.globl	__kernel_sigreturn
	.type	__kernel_sigreturn, @function
	.p2align 5
__kernel_sigreturn:
	popl	%eax
	movl	$119, %eax
	int	$0x80
	.size	__kernel_sigreturn, .-__kernel_sigreturn

	.globl	__kernel_rt_sigreturn
	.type	__kernel_rt_sigreturn, @function
	.p2align 5
__kernel_rt_sigreturn:
	movl	$173, %eax
	int	$0x80
	.size	__kernel_rt_sigreturn, .-__kernel_rt_sigreturn

	.section .note.GNU-stack,"",@progbits
