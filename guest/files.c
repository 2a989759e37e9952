/* files: exercises the file calls one after another in the current directory and prints
 * what each returned, for the differential test against qemu-i386 (test/files.test.ts).
 * Only results that do not depend on the host (inode numbers, times of day) are printed. */
#include "lib.h"

#define O_EXCL 0200
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000
#define O_CLOEXEC 02000000
#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_EMPTY_PATH 0x1000
#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030
#define RENAME_NOREPLACE 1
#define TCGETS 0x5401
#define TIOCGWINSZ 0x5413
#define UTIME_OMIT ((1 << 30) - 2)

struct iovec { void *base; unsigned int len; };

/* struct stat64 on i386, as arch/x86/include/uapi/asm/stat.h lays it out. */
struct stat64 {
    unsigned long long st_dev;
    unsigned char pad0[4];
    unsigned int st_ino32;
    unsigned int st_mode;
    unsigned int st_nlink;
    unsigned int st_uid, st_gid;
    unsigned long long st_rdev;
    unsigned char pad3[4];
    long long st_size;
    unsigned int st_blksize;
    unsigned long long st_blocks;
    unsigned int st_atime, st_atime_nsec, st_mtime, st_mtime_nsec, st_ctime, st_ctime_nsec;
    unsigned long long st_ino;
} __attribute__((packed));

static char buf[8192];

static int show(const char *what, int r)
{
    print(1, what);
    print(1, " = ");
    print_int(1, r);
    print(1, "\n");
    return r;
}

/* A descriptor's number depends on who else holds descriptors (qemu-user keeps one for
 * its log): only whether the call succeeded is printed. */
static int show_fd(const char *what, int r)
{
    show(what, r < 0 ? r : 0);
    return r;
}

static void show_stat(const char *what, struct stat64 *st)
{
    print(1, what);
    print(1, ": mode 0");
    char oct[12];
    int n = 0;
    unsigned int m = st->st_mode;
    do { oct[n++] = '0' + (m & 7); m >>= 3; } while (m);
    while (n > 0) { char c[2] = { oct[--n], 0 }; print(1, c); }
    print(1, " size ");
    print_int(1, (int)st->st_size);
    print(1, " nlink ");
    print_int(1, st->st_nlink);
    print(1, "\n");
}

static void show_str(const char *what, const char *s, int n)
{
    print(1, what);
    print(1, ": \"");
    if (n > 0) write(1, (void *)s, n);
    print(1, "\"\n");
}

/* Entry names of a directory in the order getdents64 gives them, sorted here so that the
 * output does not depend on the host file system's order. */
static void list_dir(const char *path)
{
    static char names[64][32];
    int count = 0;
    int fd = show_fd("open dir", open(path, O_RDONLY | O_DIRECTORY, 0));
    int n;
    while ((n = getdents64(fd, buf, sizeof buf)) > 0) {
        for (int at = 0; at < n;) {
            unsigned short reclen = *(unsigned short *)(buf + at + 16);
            const char *name = buf + at + 19;
            if (count < 64 && strlen(name) < 32) memcpy(names[count++], name, strlen(name) + 1);
            at += reclen;
        }
    }
    show("getdents64 end", n);
    for (int i = 1; i < count; i++)
        for (int j = i; j > 0 && memcmp(names[j - 1], names[j], 32) > 0; j--) {
            char t[32];
            memcpy(t, names[j], 32); memcpy(names[j], names[j - 1], 32); memcpy(names[j - 1], t, 32);
        }
    for (int i = 0; i < count; i++) { print(1, "  "); print(1, names[i]); print(1, "\n"); }
    show("getdents64 on a file", getdents64(0, buf, sizeof buf) < 0 ? -1 : 0);
    show("lseek dir to 0", lseek(fd, 0, SEEK_SET));
    show("getdents64 too small", getdents64(fd, buf, 8));
    close(fd);
}

int main(void)
{
    struct stat64 st;
    int r;
    show("umask", umask(022));
    show("mkdir d", mkdir("d", 0755));
    show("mkdir d again", mkdir("d", 0755));
    int fd = show_fd("open d/f", open("d/f", O_WRONLY | O_CREAT | O_TRUNC, 0666));
    show("write", write(fd, "hello ", 6));
    struct iovec iov[2] = { { "vector ", 7 }, { "world\n", 6 } };
    show("writev", writev(fd, iov, 2));
    show("pwrite64", pwrite64(fd, "H", 1, 0, 0));
    show("fsync", fsync(fd));
    show("fdatasync", fdatasync(fd));
    show("read on O_WRONLY", read(fd, buf, 10));
    show("fstat64", fstat64(fd, &st));
    show_stat("  d/f", &st);
    show("close", close(fd));

    show("stat64 d/f", stat64("d/f", &st));
    show_stat("  d/f", &st);
    static unsigned int old[16];
    show("stat (the 32-bit struct)", stat("d/f", old));
    print(1, "  size "); print_int(1, old[5]); print(1, " mode "); print_int(1, old[2] & 0xffff); print(1, "\n");
    show("stat64 missing", stat64("d/missing", &st));
    show("stat64 through a file", stat64("d/f/x", &st));
    show("symlink", symlink("f", "d/l"));
    show("symlink again", symlink("f", "d/l"));
    show("lstat64 d/l", lstat64("d/l", &st));
    show_stat("  d/l", &st);
    show("stat64 d/l", stat64("d/l", &st));
    show_stat("  d/l (followed)", &st);
    r = show("readlink d/l", readlink("d/l", buf, sizeof buf));
    show_str("  target", buf, r);
    show("readlink of a file", readlink("d/f", buf, sizeof buf));
    show("readlink /proc/self/exe", readlink("/proc/self/exe", buf, sizeof buf) > 0);
    show("open O_NOFOLLOW on a link", open("d/l", O_RDONLY | O_NOFOLLOW, 0));
    show("link", link("d/f", "d/g"));
    show("stat64 d/f", stat64("d/f", &st));
    show_stat("  d/f after link", &st);
    show("rename", rename("d/g", "d/h"));
    show("renameat2 NOREPLACE", renameat2(AT_FDCWD, "d/h", AT_FDCWD, "d/f", RENAME_NOREPLACE));
    show("creat d/c", creat("d/c", 0600) >= 0);
    show("chmod", chmod("d/c", 0640));
    show("stat64 d/c", stat64("d/c", &st));
    show_stat("  d/c", &st);
    show("access R_OK", access("d/f", 4));
    show("access missing", access("d/nope", 0));
    show("faccessat", faccessat(AT_FDCWD, "d/f", 2));
    show("access bad mode", access("d/f", 8));
    show("truncate64", truncate64("d/c", 100, 0));
    show("stat64 d/c", stat64("d/c", &st));
    show_stat("  d/c truncated", &st);
    struct timespec times[2] = { { 1000000000, 0 }, { 1234567890, 500 } };
    show("utimensat", utimensat(AT_FDCWD, "d/c", times, 0));
    show("stat64 d/c", stat64("d/c", &st));
    print(1, "  mtime "); print_int(1, st.st_mtime); print(1, " "); print_int(1, st.st_mtime_nsec); print(1, "\n");
    times[1].tv_nsec = UTIME_OMIT;
    show("utimensat omit", utimensat(AT_FDCWD, "d/c", times, 0));
    show("utimensat bad nsec", (times[0].tv_nsec = 2000000000, utimensat(AT_FDCWD, "d/c", times, 0)));
    show("chown32 unchanged", chown32("d/c", -1, -1));

    /* Descriptors: dup shares the offset; FD_CLOEXEC is per descriptor. */
    int a = show_fd("open d/f", open("d/f", O_RDONLY, 0));
    int b = show_fd("dup", dup(a));
    show("read 3 via a", read(a, buf, 3));
    show("lseek cur via b", lseek(b, 0, SEEK_CUR));
    show("F_GETFD", fcntl64(a, F_GETFD, 0));
    show("F_SETFD", fcntl64(a, F_SETFD, 1));
    show("F_GETFD after", fcntl64(a, F_GETFD, 0));
    show("F_GETFD of dup", fcntl64(b, F_GETFD, 0));
    show("F_GETFL", fcntl64(a, F_GETFL, 0));
    show("F_SETFL", fcntl64(a, F_SETFL, O_APPEND));
    show("F_DUPFD_CLOEXEC 20", fcntl64(a, F_DUPFD_CLOEXEC, 20));
    show("F_GETFD 20", fcntl64(20, F_GETFD, 0));
    show("F_DUPFD 20", fcntl64(a, F_DUPFD, 20));
    show("dup2 to 30", dup2(a, 30));
    show("dup2 same", dup2(30, 30));
    show("dup3 same", dup3(30, 30, O_CLOEXEC));
    show("dup3 to 31", dup3(30, 31, O_CLOEXEC));
    show("F_GETFD 31", fcntl64(31, F_GETFD, 0));
    show("bad fcntl", fcntl64(a, 999, 0));
    show("dup of a bad fd", dup(99));
    unsigned int res[2] = { 7, 7 };
    show("_llseek", _llseek(b, 0, 6, res, SEEK_SET));
    print(1, "  at "); print_int(1, res[0]); print(1, "\n");
    show("pread64", r = pread64(a, buf, 5, 0, 0));
    show_str("  bytes", buf, r);
    char x[4], y[8];
    struct iovec rv[2] = { { x, 4 }, { y, 8 } };
    show("readv", r = readv(b, rv, 2));
    show_str("  first", x, 4);
    show("pread64 negative", pread64(a, buf, 5, 0, -1));
    show("ioctl TCGETS on a file", ioctl(a, TCGETS, buf));
    show("ioctl TIOCGWINSZ on a file", ioctl(a, TIOCGWINSZ, buf));
    show("lseek a to 0", lseek(a, 0, SEEK_SET));
    show("sendfile64", sendfile64(1, a, NULL, 5));
    print(1, "\n");
    long long off = 6;
    show("sendfile64 at 6", sendfile64(1, a, &off, 6));
    print(1, "  off "); print_int(1, (int)off); print(1, "\n");
    close(a); close(b); close(20); close(21); close(30); close(31);

    /* Working directory and *at calls from a directory fd. */
    int top = show_fd("open .", open(".", O_RDONLY | O_DIRECTORY, 0));
    show("chdir d", chdir("d"));
    r = show("getcwd", getcwd(buf, sizeof buf) > 0);
    show("getcwd too small", getcwd(buf, 1));
    show("stat64 f (relative)", stat64("f", &st));
    show("chdir f", chdir("f"));
    show("chdir missing", chdir("nope"));
    show("fchdir", fchdir(top));
    show("fstatat64 d/f", fstatat64(top, "d/f", &st, 0));
    show_stat("  d/f", &st);
    show("fstatat64 d/l nofollow", fstatat64(top, "d/l", &st, AT_SYMLINK_NOFOLLOW));
    show_stat("  d/l", &st);
    show("fstatat64 empty path", fstatat64(top, "", &st, AT_EMPTY_PATH) == 0 && (st.st_mode & 0170000) == 0040000);
    show("fstatat64 bad flags", fstatat64(top, "d/f", &st, 0x8000));
    show("statx d/f", statx(AT_FDCWD, "d/f", 0, 0x7ff, buf));
    print(1, "  stx_size "); print_int(1, *(int *)(buf + 40)); print(1, "  stx_mode "); print_int(1, *(unsigned short *)(buf + 28)); print(1, "\n");
    show("mkdirat", mkdirat(top, "d/e", 0700));
    show("symlinkat", symlinkat("../f", top, "d/e/up"));
    r = show("readlinkat", readlinkat(top, "d/e/up", buf, 2));
    show_str("  cut", buf, r);
    show("linkat", linkat(top, "d/f", top, "d/e/f2", 0));
    show("renameat", renameat(top, "d/e/f2", top, "d/e/f3"));
    show("openat", openat(top, "d/e/up", O_RDONLY, 0) >= 0);
    show("openat bad dirfd", openat(99, "x", O_RDONLY, 0));
    show("openat file as dirfd", openat(0, "x", O_RDONLY, 0) < 0);
    show("read on a dir", read(top, buf, 10));
    show("statfs64", statfs64("d", 84, buf));
    show("fstatfs64", fstatfs64(top, 84, buf));
    list_dir("d");

    /* Taking it all down again. */
    show("rmdir non-empty", rmdir("d/e"));
    show("unlinkat", unlinkat(top, "d/e/up", 0));
    show("unlinkat f3", unlinkat(top, "d/e/f3", 0));
    show("unlink a dir", unlink("d/e"));
    show("unlinkat REMOVEDIR", unlinkat(top, "d/e", AT_REMOVEDIR));
    show("unlink l", unlink("d/l"));
    show("unlink h", unlink("d/h"));
    show("unlink c", unlink("d/c"));
    show("rmdir a file", rmdir("d/f"));
    show("unlink missing", unlink("d/missing"));
    show("fchmod", fchmod(top, 0755));
    show("umask back", umask(022));
    return 0;
}
