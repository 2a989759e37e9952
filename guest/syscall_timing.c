/* syscall_timing: the paper's second control experiment (section 4.2, Table 2). Each
 * call is enclosed in two gettimeofday calls and the difference printed in
 * microseconds; read and write get null parameters. The overhead column is two
 * consecutive gettimeofday calls. Nothing is deducted, as in the paper. */
#include "lib.h"

static int elapsed(struct timeval *a, struct timeval *b)
{
    return (b->tv_sec - a->tv_sec) * 1000000 + (b->tv_usec - a->tv_usec);
}

int main(void)
{
    struct timeval a, b, x;
    int us[5];

    gettimeofday(&a, NULL);
    getpid();
    gettimeofday(&b, NULL);
    us[0] = elapsed(&a, &b);

    gettimeofday(&a, NULL);
    gettimeofday(&x, NULL);
    gettimeofday(&b, NULL);
    us[1] = elapsed(&a, &b);

    gettimeofday(&a, NULL);
    read(0, NULL, 0);
    gettimeofday(&b, NULL);
    us[2] = elapsed(&a, &b);

    gettimeofday(&a, NULL);
    write(1, NULL, 0);
    gettimeofday(&b, NULL);
    us[3] = elapsed(&a, &b);

    gettimeofday(&a, NULL);
    gettimeofday(&b, NULL);
    us[4] = elapsed(&a, &b);

    static const char *names[5] = {"getpid", "gettimeofday", "read", "write", "overhead"};
    for (int i = 0; i < 5; i++) {
        print(1, names[i]);
        print(1, " ");
        print_int(1, us[i]);
        print(1, "\n");
    }
    return 0;
}
