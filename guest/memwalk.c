/* memwalk: the program break walked up and down one page at a time, then anonymous
 * mappings made, protected, moved and removed. Prints "ok" and exits 0, or exits with
 * the number of the check that failed. Usage: memwalk [pages] (default 20000). */
#include "lib.h"

#define PAGE 4096
#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_FIXED_NOREPLACE 0x100000

int main(int argc, char **argv)
{
    int pages = argc > 1 ? atoi(argv[1]) : 20000;
    char *start = (char *)brk(0), *cur = start;
    for (int i = 0; i < pages; i++) {
        cur += PAGE;
        if ((char *)brk(cur) != cur) return 10;
        cur[-1] = 1;                        /* touch the new page */
    }
    for (int i = 0; i < pages; i++) {
        cur -= PAGE;
        if ((char *)brk(cur) != cur) return 11;
    }
    if ((char *)brk(start + 2 * PAGE) != start + 2 * PAGE) return 12;
    if (start[PAGE - 1] != 0) return 13;    /* a page given back comes back zeroed */

    char *a = (char *)mmap2(0, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if ((unsigned)a >= 0xfffff000u || ((unsigned)a & (PAGE - 1))) return 20;
    a[0] = 'x';
    a[16 * PAGE - 1] = 'y';
    if (mprotect(a, PAGE, PROT_READ) != 0) return 21;
    if (munmap(a + 4 * PAGE, 4 * PAGE) != 0) return 22;
    char *b = (char *)mmap2(a + 4 * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (b != a + 4 * PAGE) return 23;
    if (mmap2(a, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) != -17) return 24; /* EEXIST */
    if (munmap(a, 16 * PAGE) != 0) return 25;
    print(1, "ok\n");
    return 0;
}
