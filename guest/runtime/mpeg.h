/* What both mpeg_play variants share: a decoder shaped like mpeg_play. Each frame is
 * read from the stream (a 4-byte length, then the frame's data), decoded with real
 * integer work (an 8x8 inverse DCT per 64 bytes of data), written to the display device,
 * and then paced to the stream's frame rate with select on a timeout followed by
 * gettimeofday. The variants differ only in that pair. */
#ifndef SYSCLUSTER_MPEG_H
#define SYSCLUSTER_MPEG_H
#include "lib.h"
#include "idct.h"

#define MAX_FRAME 65536
static unsigned char frame_data[MAX_FRAME];
static unsigned char picture[MAX_FRAME];

struct player {
    int in, display, frames;
    long long start_us, now_us, period_us;
    unsigned int checksum;
};

static long long tv_us(struct timeval *tv) { return (long long)tv->tv_sec * 1000000 + tv->tv_usec; }

/* mpeg_play <stream> [fps]: opens the stream and the display, reads the clock. */
static struct player player_open(int argc, char **argv)
{
    struct player p;
    struct timeval tv;
    if (argc < 2)
        die("usage: mpeg_play <stream> [fps]", 0, 2);
    int fps = argc > 2 ? atoi(argv[2]) : 30;
    if (fps <= 0)
        die("mpeg_play: fps must be positive", fps, 2);
    p.in = open(argv[1], O_RDONLY, 0);
    if (p.in < 0)
        die(argv[1], p.in, 1);
    p.display = open("/dev/display", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (p.display < 0)
        die("/dev/display", p.display, 1);
    p.frames = 0;
    p.checksum = 0;
    p.period_us = 1000000 / fps;
    gettimeofday(&tv, NULL);
    p.start_us = p.now_us = tv_us(&tv);
    return p;
}

static int read_full(int fd, unsigned char *buf, int len)
{
    int got = 0;
    while (got < len) {
        int n = read(fd, buf + got, len - got);
        if (n <= 0)
            return n < 0 ? n : got;
        got += n;
    }
    return got;
}

/* Reads, decodes and displays one frame; 0 at the end of the stream. */
static int play_frame(struct player *p)
{
    unsigned int len;
    int n = read_full(p->in, (unsigned char *)&len, 4);
    if (n == 0)
        return 0;
    if (n != 4 || len > MAX_FRAME)
        die("mpeg_play: bad frame header", n, 1);
    if ((n = read_full(p->in, frame_data, len)) != (int)len)
        die("mpeg_play: short frame", n, 1);
    int blocks = len / 64;
    for (int b = 0; b < blocks; b++) {
        int block[64];
        const signed char *coef = (const signed char *)frame_data + 64 * b;
        for (int k = 0; k < 64; k++)
            block[k] = k < 10 ? coef[k] * 4 : 0; /* the low frequencies carry the picture */
        idct8x8(block);
        for (int k = 0; k < 64; k++) {
            picture[64 * b + k] = (unsigned char)block[k];
            p->checksum = p->checksum * 31 + block[k];
        }
    }
    int w = write(p->display, picture, blocks * 64);
    if (w < 0)
        die("mpeg_play: display", w, 1);
    p->frames++;
    return 1;
}

/* The timeout that keeps frames to the stream's rate, from the time last read. */
static void next_timeout(struct player *p, struct timeval *tv)
{
    long long wait = p->start_us + (long long)p->frames * p->period_us - p->now_us;
    if (wait < 0)
        wait = 0;
    if (wait > 1000000000)
        wait = 1000000000;
    int w = (int)wait; /* 32-bit division: the guests link no libgcc */
    tv->tv_sec = w / 1000000;
    tv->tv_usec = w % 1000000;
}

static int player_close(struct player *p)
{
    print(1, "frames ");
    print_int(1, p->frames);
    print(1, " checksum ");
    print_int(1, (int)p->checksum);
    print(1, "\n");
    close(p->in);
    close(p->display);
    return 0;
}
#endif
