/* hello: one write, one exit. */
#include "lib.h"

int main(void)
{
    print(1, "hello from an i386 guest\n");
    return 0;
}
