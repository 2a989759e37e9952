/* mpeg_play <stream> [fps]: the decoder, unclustered: after each frame, select on a
 * timeout, then gettimeofday into the same timeval (the pair the paper found). */
#include "mpeg.h"

int main(int argc, char **argv)
{
    struct player p = player_open(argc, argv);
    struct timeval tv;
    while (play_frame(&p)) {
        next_timeout(&p, &tv);
        select(0, NULL, NULL, NULL, &tv);
        gettimeofday(&tv, NULL);
        p.now_us = tv_us(&tv);
    }
    return player_close(&p);
}
