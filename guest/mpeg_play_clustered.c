/* mpeg_play_clustered <stream> [fps]: the decoder with the select + gettimeofday pair
 * replaced by the specialized call select_time(struct timeval *), as in the paper. */
#include "mpeg.h"

int main(int argc, char **argv)
{
    struct player p = player_open(argc, argv);
    struct timeval tv;
    while (play_frame(&p)) {
        next_timeout(&p, &tv);
        select_time((long)&tv);
        p.now_us = tv_us(&tv);
    }
    return player_close(&p);
}
