/* fig3_original [none|write|read]: the paper's Figure 3, original form. A write
 * followed by a read, each with its error handling. The argument forces one of the two
 * calls to fail (its descriptor is opened the wrong way round), to exercise each branch.
 * Compare with fig3_multicall.c: only the fragment differs. */
#include "lib.h"
#include "multicall.h"
#include "fig3.h"

int main(int argc, char **argv)
{
    int out, in;
    fig3_open(argc > 1 ? argv[1] : "none", &out, &in);
    char *buff = fig3_buffer;
    int write_size = fig3_prepare(), read_size = FIG3_READ_SIZE, res;

    /* --- the fragment, as in Figure 3 (original) --- */
    res = write(out, buff, write_size);
    if (res < 0) {
        return fig3_error("write", res);
    } else {
        res = read(in, buff, read_size);
        if (res < 0) {
            return fig3_error("read", res);
        }
    }
    /* --- end of the fragment --- */

    return fig3_done(write_size, res);
}
