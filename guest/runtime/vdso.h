/* vdso.h: finding a function of the vDSO from a guest, as a C library does.
 *
 * With --vdso on (the default under the modern personality) the kernel maps a vDSO into
 * the process and names it in the auxiliary vector: AT_SYSINFO_EHDR is its ELF header,
 * AT_SYSINFO its __kernel_vsyscall. sc_vdso_sym looks a name up in the vDSO's dynamic
 * symbol table (DT_HASH, DT_SYMTAB, DT_STRTAB), the way glibc's dl_vdso_vsym does:
 *
 *     int (*gtod)(struct timeval *, void *) = sc_vdso_sym(envp, "__vdso_gettimeofday");
 *     if (gtod) gtod(&tv, NULL);      // reads the clock without entering the kernel
 *
 * envp is main's third argument (the auxiliary vector follows the environment on the
 * initial stack). Returns NULL when there is no vDSO or no such symbol.
 */
#ifndef SYSCLUSTER_VDSO_H
#define SYSCLUSTER_VDSO_H

#define AT_SYSINFO 32
#define AT_SYSINFO_EHDR 33

/* The value of auxiliary vector entry `type`, or 0. */
static inline unsigned int sc_getauxval(char **envp, unsigned int type)
{
    while (*envp)
        envp++;
    for (unsigned int *a = (unsigned int *)(envp + 1); a[0] != 0; a += 2)
        if (a[0] == type)
            return a[1];
    return 0;
}

static inline void *sc_vdso_sym(char **envp, const char *name)
{
    const unsigned char *base = (const unsigned char *)sc_getauxval(envp, AT_SYSINFO_EHDR);
    if (!base)
        return NULL;
    const unsigned int phoff = *(const unsigned int *)(base + 28);
    const unsigned short phnum = *(const unsigned short *)(base + 44), phentsize = *(const unsigned short *)(base + 42);
    const unsigned int *dyn = NULL;
    unsigned int bias = 0;
    int have_load = 0;
    for (unsigned int i = 0; i < phnum; i++) {
        const unsigned int *ph = (const unsigned int *)(base + phoff + i * phentsize);
        if (ph[0] == 1 && !have_load) { /* PT_LOAD: the load bias is base less its p_vaddr */
            bias = (unsigned int)base - ph[2];
            have_load = 1;
        }
        if (ph[0] == 2) /* PT_DYNAMIC: p_vaddr, relative to the bias */
            dyn = (const unsigned int *)ph[2];
    }
    if (!dyn || !have_load)
        return NULL;
    dyn = (const unsigned int *)((unsigned int)dyn + bias);
    const unsigned int *hash = NULL;
    const unsigned char *symtab = NULL;
    const char *strtab = NULL;
    for (; dyn[0] != 0; dyn += 2) {
        if (dyn[0] == 4) hash = (const unsigned int *)(dyn[1] + bias);        /* DT_HASH */
        if (dyn[0] == 6) symtab = (const unsigned char *)(dyn[1] + bias);     /* DT_SYMTAB */
        if (dyn[0] == 5) strtab = (const char *)(dyn[1] + bias);              /* DT_STRTAB */
    }
    if (!hash || !symtab || !strtab)
        return NULL;
    for (unsigned int i = 1; i < hash[1]; i++) { /* hash[1]: nchain, the number of symbols */
        const unsigned int *sym = (const unsigned int *)(symtab + i * 16);
        const char *s = strtab + sym[0];
        const char *n = name;
        while (*s && *s == *n) { s++; n++; }
        if (*s == *n && *(const unsigned short *)(symtab + i * 16 + 14) != 0) /* defined (st_shndx) */
            return (void *)(sym[1] + bias);
    }
    return NULL;
}
#endif
