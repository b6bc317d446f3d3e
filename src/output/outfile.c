/*
 * outfile.c - see outfile.h.
 */
#include "outfile.h"

#include "../util/err.h"
#include "../util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The temporary files a signal must not leave behind: -o's and --html's. */
#define SLOTS 2
static char slot_path[SLOTS][PATH_MAX];
static volatile sig_atomic_t slot_used[SLOTS];

static void on_signal(int sig)
{
    for (int i = 0; i < SLOTS; i++)
        if (slot_used[i])
            unlink(slot_path[i]); /* async-signal-safe */
    signal(sig, SIG_DFL);
    raise(sig);
}

/* exit() without a commit or an abort: out of memory (xalloc.c) */
static void slots_at_exit(void)
{
    for (int i = 0; i < SLOTS; i++)
        if (slot_used[i])
            unlink(slot_path[i]);
}

static void slots_handle(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    atexit(slots_at_exit);
    static const int sigs[] = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT,
                               SIGXFSZ, SIGALRM, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        struct sigaction sa, old;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        /* a signal the shell ignored (nohup, a background job) stays ignored */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(sigs[i], &sa, NULL);
    }
}

static void slot_add(const char *tmp)
{
    if (strlen(tmp) >= PATH_MAX)
        return;
    for (int i = 0; i < SLOTS; i++)
        if (!slot_used[i]) {
            memcpy(slot_path[i], tmp, strlen(tmp) + 1);
            slot_used[i] = 1;
            slots_handle();
            return;
        }
}

static void slot_remove(const char *tmp)
{
    for (int i = 0; i < SLOTS; i++)
        if (slot_used[i] && !strcmp(slot_path[i], tmp))
            slot_used[i] = 0;
}

static const char *write_word(const struct outfile *o)
{
    return o->what && !strcmp(o->what, "report") ? "report " : "";
}

static void outfile_free(struct outfile *o)
{
    if (o->tmp)
        slot_remove(o->tmp);
    free(o->tmp);
    free(o->target);
    free(o->path);
    memset(o, 0, sizeof(*o));
}

/* Written in place: a device, a FIFO, standard output's file, or a regular
 * file where no temporary file can be made. */
static int open_direct(struct outfile *o, char *msg)
{
    int fd = open(o->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    o->f = fd < 0 ? NULL : fdopen(fd, "w");
    if (!o->f) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        errmsg_set(msg, "cannot open %s '%s': %s", o->what, o->path, strerror(e));
        outfile_free(o);
        return ERR_IO;
    }
    struct stat st;
    o->empty_now = !fstat(fd, &st) && S_ISREG(st.st_mode);
    return 0;
}

int outfile_open(struct outfile *o, const char *path, const char *what, char *msg)
{
    memset(o, 0, sizeof(*o));
    o->path = xstrdup(path);
    o->what = what;
    struct stat st;
    int exists = stat(path, &st) == 0; /* through a link */
    if (exists && !S_ISREG(st.st_mode))
        return open_direct(o, msg);
    if (exists && access(path, W_OK)) { /* a read-only file stays one */
        errmsg_set(msg, "cannot open %s '%s': %s", what, path, strerror(errno));
        outfile_free(o);
        return ERR_IO;
    }
    if (exists && st.st_nlink > 1) /* a rename would part it from its other names */
        return open_direct(o, msg);
    struct stat lst;
    if (!exists && lstat(path, &lst) == 0) /* a dangling link: its target is made */
        return open_direct(o, msg);
    o->target = exists ? realpath(path, NULL) : xstrdup(path);
    if (!o->target)
        return open_direct(o, msg);
    const char *slash = strrchr(o->target, '/');
    size_t dl = slash ? (size_t)(slash - o->target) + 1 : 0;
    const char *base = slash ? slash + 1 : o->target;
    size_t n = dl + strlen(base) + 16;
    o->tmp = xmalloc(n);
    snprintf(o->tmp, n, "%.*s.%s.pcts-XXXXXX", (int)dl, o->target, base);
    int fd = mkostemp(o->tmp, O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        free(o->tmp);
        o->tmp = NULL;
        free(o->target);
        o->target = NULL;
        if (e == EACCES || e == EPERM || e == EROFS || e == ENAMETOOLONG)
            return open_direct(o, msg); /* perhaps the file itself is writable */
        errmsg_set(msg, "cannot open %s '%s': %s", what, path, strerror(e));
        outfile_free(o);
        return ERR_IO;
    }
    mode_t mode;
    if (exists) {
        mode = st.st_mode & 07777;
    } else {
        mode_t mask = umask(0); /* read it: main is still one thread */
        umask(mask);
        mode = 0666 & ~mask;
    }
    (void)fchmod(fd, mode);
    o->f = fdopen(fd, "w");
    if (!o->f) {
        int e = errno;
        close(fd);
        unlink(o->tmp);
        errmsg_set(msg, "cannot open %s '%s': %s", what, path, strerror(e));
        outfile_free(o);
        return ERR_IO;
    }
    slot_add(o->tmp);
    return 0;
}

int outfile_start(struct outfile *o, char *msg)
{
    if (!o->empty_now)
        return 0;
    o->empty_now = 0;
    struct stat st;
    int fd = fileno(o->f);
    if (!fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_size > 0 && ftruncate(fd, 0)) {
        errmsg_set(msg, "cannot empty '%s' before writing it: %s", o->path, strerror(errno));
        return ERR_IO;
    }
    return 0;
}

/* Copy the file from over the file to, in place: 0 or -1 with errno. */
static int copy_over(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -1;
    int out = open(to, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (out < 0) {
        int e = errno;
        close(in);
        errno = e;
        return -1;
    }
    static char buf[1 << 16];
    ssize_t n;
    int rc = 0;
    while ((n = read(in, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = -1;
            break;
        }
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                rc = -1;
                break;
            }
            off += w;
        }
        if (rc)
            break;
    }
    int e = errno;
    close(in);
    if (close(out) && !rc) {
        e = errno;
        rc = -1;
    }
    errno = e;
    return rc;
}

int stream_error(FILE *f)
{
    errno = 0;
    if (fflush(f))
        return errno ? errno : EIO;
    return ferror(f) ? EIO : 0;
}

int outfile_commit(struct outfile *o, char *msg)
{
    int e = stream_error(o->f);
    errno = 0;
    if (fclose(o->f) && !e)
        e = errno ? errno : EIO;
    o->f = NULL;
    const char *verb = "write";
    if (!e && o->tmp && rename(o->tmp, o->target)) {
        /* not ours to replace (a sticky directory, another owner's file we
         * may write): copied into it in place instead */
        verb = "replace";
        e = copy_over(o->tmp, o->target) ? errno ? errno : EIO : 0;
        unlink(o->tmp);
    }
    if (e) {
        if (o->tmp)
            unlink(o->tmp);
        errmsg_set(msg, "cannot %s %s'%s': %s", verb, write_word(o), o->path, strerror(e));
    }
    outfile_free(o);
    return e ? ERR_IO : 0;
}

void outfile_abort(struct outfile *o)
{
    if (o->f)
        fclose(o->f);
    if (o->tmp)
        unlink(o->tmp);
    outfile_free(o);
}
