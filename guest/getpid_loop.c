/* getpid_loop [N]: N getpid calls (default 1000000): the syscall throughput benchmark. */
#include "lib.h"

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000000;
    int sum = 0;
    for (int i = 0; i < n; i++)
        sum += getpid();
    return sum == 0; /* uses the results, so the calls stay */
}
