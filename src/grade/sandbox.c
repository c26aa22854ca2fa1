/* The confined child of the code grader (see sandbox.h). Everything the child needs is
 * prepared before fork; after it the child makes only system calls and formats into
 * stack buffers, and says why it stopped, when it did before exec, on fd 3. */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../util/clock.h"
#include "../util/sig.h"
#include "../util/util.h"

/* newer than some kernel headers: the values are the kernel's ABI */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#define QB_LL_NET_BIND_TCP    (1ULL << 0)
#define QB_LL_NET_CONNECT_TCP (1ULL << 1)
#define QB_LL_SCOPE_ABSTRACT  (1ULL << 0)
#define QB_LL_SCOPE_SIGNAL    (1ULL << 1)
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

#define OUT_KEEP (16 * 1024)
#define RES_KEEP (4 * 1024)

/* landlock_ruleset_attr as of ABI 6; older kernels take a prefix of it */
struct qb_ll_ruleset {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;
    uint64_t scoped;
};

struct qb_mount_attr {
    uint64_t attr_set, attr_clr, propagation, userns_fd;
};

/* what the child knows, filled before fork */
struct child_plan {
    const struct sandbox *sb;
    int out_w, res_w;
    pid_t parent;
    uid_t uid;
    gid_t gid;
    bool want_mount; /* confine writes with a mount namespace rather than Landlock */
    rlim_t cpu_s;    /* RLIMIT_CPU: the timeout and a second */
};

/* a line on fd 3 and, for a failure, the end of the child */
static void say(const char *fmt, ...) QB_FMT(1, 2);
static void say(const char *fmt, ...)
{
    char buf[320];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (n > (int)sizeof(buf) - 2)
        n = (int)sizeof(buf) - 2;
    buf[n++] = '\n';
    if (write(3, buf, (size_t)n) < 0)
        return;
}

static int write_text(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* the same uid and gid inside the new user namespace as outside */
static int map_ids(const struct child_plan *cp)
{
    char m[64];
    if (write_text("/proc/self/setgroups", "deny") < 0 && errno != ENOENT)
        return -1;
    snprintf(m, sizeof(m), "%u %u 1", (unsigned)cp->uid, (unsigned)cp->uid);
    if (write_text("/proc/self/uid_map", m) < 0)
        return -1;
    snprintf(m, sizeof(m), "%u %u 1", (unsigned)cp->gid, (unsigned)cp->gid);
    return write_text("/proc/self/gid_map", m);
}

/* new namespaces: user + network (+ mount) where allowed; root may skip the user one */
static void namespaces(const struct child_plan *cp, bool *net, bool *mnt)
{
    const int ns = cp->want_mount ? CLONE_NEWNS : 0;
    *net = *mnt = false;
    if (unshare(CLONE_NEWUSER | CLONE_NEWNET | ns) == 0) {
        if (map_ids(cp) < 0) {
            say("qb-setup cannot map the ids in the user namespace: %s", strerror(errno));
            _exit(126);
        }
        *net = true;
        *mnt = ns != 0;
    } else if (unshare(CLONE_NEWNET | ns) == 0) {
        *net = true;
        *mnt = ns != 0;
    } else if (ns && unshare(ns) == 0) {
        *mnt = true;
    } else if (unshare(CLONE_NEWNET) == 0) {
        *net = true;
    }
}

/* every mount read-only but dir's (a bind of it onto itself) */
static int mount_confine(const char *dir, char *why, size_t n)
{
#ifdef SYS_mount_setattr
    struct qb_mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY}, rw = {.attr_clr = MOUNT_ATTR_RDONLY};
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return snprintf(why, n, "mount private: %s", strerror(errno)), -1;
    if (mount(dir, dir, NULL, MS_BIND | MS_REC, NULL) < 0)
        return snprintf(why, n, "bind: %s", strerror(errno)), -1;
    if (syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof(ro)) < 0)
        return snprintf(why, n, "read-only mounts: %s", strerror(errno)), -1;
    if (syscall(SYS_mount_setattr, AT_FDCWD, dir, AT_RECURSIVE, &rw, sizeof(rw)) < 0)
        return snprintf(why, n, "writable dir: %s", strerror(errno)), -1;
    return 0;
#else
    (void)dir;
    return snprintf(why, n, "no mount_setattr in this build"), -1;
#endif
}

/* the Landlock ABI of the kernel, 0 without Landlock */
static int landlock_abi(void)
{
#ifdef SYS_landlock_create_ruleset
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    return abi > 0 ? (int)abi : 0;
#else
    return 0;
#endif
}

/* Landlock: writes only beneath dir (and to /dev/null); TCP and signals cut where the ABI
 * has them. The ABI version, or -1 with why */
static int landlock_confine(const char *dir, char *why, size_t n)
{
#ifdef SYS_landlock_create_ruleset
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    if (abi < 1)
        return snprintf(why, n, "landlock: %s", strerror(errno)), -1;
    uint64_t fs = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
                  LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
                  LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
                  LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
                  LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
    if (abi >= 2)
        fs |= LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3)
        fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
    struct qb_ll_ruleset rs = {.handled_access_fs = fs};
    size_t size = sizeof(uint64_t);
    if (abi >= 4) {
        rs.handled_access_net = QB_LL_NET_BIND_TCP | QB_LL_NET_CONNECT_TCP;
        size = 2 * sizeof(uint64_t);
    }
    if (abi >= 6) {
        rs.scoped = QB_LL_SCOPE_ABSTRACT | QB_LL_SCOPE_SIGNAL;
        size = 3 * sizeof(uint64_t);
    }
    int rfd = (int)syscall(SYS_landlock_create_ruleset, &rs, size, 0);
    if (rfd < 0)
        return snprintf(why, n, "landlock ruleset: %s", strerror(errno)), -1;
    struct landlock_path_beneath_attr pb = {.allowed_access = fs};
    pb.parent_fd = open(dir, O_PATH | O_CLOEXEC);
    if (pb.parent_fd < 0 ||
        syscall(SYS_landlock_add_rule, rfd, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0)
        return snprintf(why, n, "landlock rule: %s", strerror(errno)), -1;
    close(pb.parent_fd);
    pb.allowed_access =
        LANDLOCK_ACCESS_FS_WRITE_FILE | (abi >= 3 ? LANDLOCK_ACCESS_FS_TRUNCATE : 0);
    pb.parent_fd = open("/dev/null", O_PATH | O_CLOEXEC);
    if (pb.parent_fd >= 0) {
        syscall(SYS_landlock_add_rule, rfd, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
        close(pb.parent_fd);
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
        syscall(SYS_landlock_restrict_self, rfd, 0) < 0)
        return snprintf(why, n, "landlock restrict: %s", strerror(errno)), -1;
    close(rfd);
    return (int)abi;
#else
    (void)dir;
    return snprintf(why, n, "no landlock in this build"), -1;
#endif
}

/* capabilities gone for good, even for root: the bounding set emptied and the effective,
 * permitted and inheritable sets cleared (errors ignored: an unprivileged process has none) */
static void drop_caps(void)
{
    for (int c = 0; c <= 63; c++)
        prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
    struct {
        uint32_t version;
        int pid;
    } hdr = {0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, 0};
    uint32_t data[6] = {0};
    syscall(SYS_capset, &hdr, data);
}

#if defined(__x86_64__) || defined(__aarch64__)
#define QB_HAVE_FILTER 1
#if defined(__x86_64__)
#define QB_AUDIT_ARCH AUDIT_ARCH_X86_64
#define QB_NR_X32     0x40000000u /* the x32 ABI's numbers start here */
#else
#define QB_AUDIT_ARCH AUDIT_ARCH_AARCH64
#define QB_NR_X32     0xffffffffu /* arm64 has no x32: a number no call has */
#endif

/* a seccomp program under construction */
struct bpf {
    struct sock_filter f[128];
    unsigned short n;
};

static void emit(struct bpf *b, struct sock_filter ins)
{
    if (b->n < QB_ARRAY_LEN(b->f))
        b->f[b->n++] = ins;
}

/* system call nr answers ret */
static void deny(struct bpf *b, uint32_t nr, uint32_t ret)
{
    emit(b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1));
    emit(b, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, ret));
}

/* system call nr is allowed when the low word of its first argument is one of v[0..m),
 * else fails with EPERM (the accumulator holds nr again after: the block returns) */
static void allow_arg0(struct bpf *b, uint32_t nr, const uint32_t *v, int m)
{
    emit(b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, (unsigned char)(m + 3)));
    emit(b, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                         offsetof(struct seccomp_data, args[0])));
    for (int i = 0; i < m; i++)
        emit(b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, v[i],
                                             (unsigned char)(m - i), 0));
    emit(b, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM));
    emit(b, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
}
#endif

/* seccomp, for what the other confinement leaves open: no new process (fork, vfork and
 * clone without CLONE_THREAD fail with EAGAIN; clone3 with ENOSYS, and glibc then makes
 * threads with clone), no signal or ptrace to another process (kill, tgkill, sigqueue
 * only to itself or its own group), no socket (a Unix socket's path is not a write), no
 * io_uring (its operations bypass seccomp), no new namespaces. Another architecture's
 * system calls kill. 0, or -1 with errno (none on this architecture: ENOSYS) */
static int confine_syscalls(pid_t self)
{
#ifdef QB_HAVE_FILTER
    struct bpf b = {.n = 0};
    const uint32_t eperm = SECCOMP_RET_ERRNO | EPERM, me = (uint32_t)self;
    emit(&b, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                          offsetof(struct seccomp_data, arch)));
    emit(&b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, QB_AUDIT_ARCH, 1, 0));
    emit(&b, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
    emit(&b,
         (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
    emit(&b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, QB_NR_X32, 0, 1));
    emit(&b, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
#ifdef __NR_fork
    deny(&b, __NR_fork, SECCOMP_RET_ERRNO | EAGAIN);
    deny(&b, __NR_vfork, SECCOMP_RET_ERRNO | EAGAIN);
#endif
    deny(&b, __NR_clone3, SECCOMP_RET_ERRNO | ENOSYS);
    /* clone: a thread is fine, another process is not */
    emit(&b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 4));
    emit(&b, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                          offsetof(struct seccomp_data, args[0])));
    emit(&b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_THREAD, 1, 0));
    emit(&b, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EAGAIN));
    emit(&b, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    const uint32_t kill_ok[] = {me, 0, (uint32_t)-self};
    allow_arg0(&b, __NR_kill, kill_ok, 3);
    allow_arg0(&b, __NR_tgkill, &me, 1);
    allow_arg0(&b, __NR_rt_sigqueueinfo, &me, 1);
    allow_arg0(&b, __NR_rt_tgsigqueueinfo, &me, 1);
    static const uint32_t denied[] = {__NR_tkill,
                                      __NR_ptrace,
                                      __NR_process_vm_readv,
                                      __NR_process_vm_writev,
                                      __NR_pidfd_open,
                                      __NR_pidfd_send_signal,
                                      __NR_pidfd_getfd,
                                      __NR_socket,
                                      __NR_io_uring_setup,
                                      __NR_io_uring_enter,
                                      __NR_io_uring_register,
                                      __NR_unshare,
                                      __NR_setns};
    for (size_t i = 0; i < QB_ARRAY_LEN(denied); i++)
        deny(&b, denied[i], __NR_socket == denied[i] ? SECCOMP_RET_ERRNO | EACCES : eperm);
    emit(&b, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    if (b.n == QB_ARRAY_LEN(b.f)) {
        errno = E2BIG;
        return -1;
    }
    struct sock_fprog prog = {b.n, b.f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
#else
    (void)self;
    errno = ENOSYS;
    return -1;
#endif
}

/* lower a limit to v (soft) and hard (never above the hard limit there is) */
static int lower_limit(int res, rlim_t v, rlim_t hard)
{
    struct rlimit cur, l;
    if (getrlimit(res, &cur) < 0)
        return -1;
    l.rlim_max = cur.rlim_max != RLIM_INFINITY && cur.rlim_max < hard ? cur.rlim_max : hard;
    l.rlim_cur = v < l.rlim_max ? v : l.rlim_max;
    return setrlimit(res, &l);
}

static void child(const struct child_plan *cp)
{
    const struct sandbox *sb = cp->sb;
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != cp->parent)
        _exit(125);
    /* fds: 0 /dev/null, 1 and 2 the output pipe, 3 the result pipe, no other */
    int out = fcntl(cp->out_w, F_DUPFD, 10), res = fcntl(cp->res_w, F_DUPFD, 10);
    int nul = open("/dev/null", O_RDONLY);
    if (out < 0 || res < 0 || nul < 0 || dup2(nul, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0 ||
        dup2(res, 3) < 0)
        _exit(126);
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 4, ~0U, 0) < 0)
#endif
        for (int fd = 4; fd < 4096; fd++)
            close(fd);
    /* a handler or an ignored signal of quantbench's is not the program's */
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);
    if (chdir(sb->dir) < 0) {
        say("qb-setup cannot enter '%s': %s", sb->dir, strerror(errno));
        _exit(126);
    }
    if (sb->confine) {
        bool netns, mnt;
        char why_ll[128] = "", why_mnt[128] = "not tried";
        /* a network namespace cuts the network (the seccomp filter refuses sockets too) */
        namespaces(cp, &netns, &mnt);
        if (!cp->want_mount && landlock_confine(sb->dir, why_ll, sizeof(why_ll)) > 0) {
            /* writes confined */
        } else if (mnt && mount_confine(sb->dir, why_mnt, sizeof(why_mnt)) == 0) {
            /* the working directory was the directory under the bind, read-only now */
            if (chdir(sb->dir) < 0) {
                say("qb-setup cannot enter '%s': %s", sb->dir, strerror(errno));
                _exit(126);
            }
        } else {
            if (!mnt && cp->want_mount)
                snprintf(why_mnt, sizeof(why_mnt), "no mount namespace: %s", strerror(errno));
            say("qb-nofs %s%s%s", why_ll, why_ll[0] ? "; " : "", why_mnt);
            _exit(125);
        }
        if (lower_limit(RLIMIT_CPU, cp->cpu_s, cp->cpu_s + 1) < 0 ||
            (sb->mem_bytes && lower_limit(RLIMIT_AS, sb->mem_bytes, sb->mem_bytes) < 0) ||
            lower_limit(RLIMIT_FSIZE, sb->fsize_bytes, sb->fsize_bytes) < 0 ||
            lower_limit(RLIMIT_NPROC, 64, 64) < 0 || lower_limit(RLIMIT_NOFILE, 256, 256) < 0 ||
            lower_limit(RLIMIT_CORE, 0, 0) < 0) {
            say("qb-setup setrlimit: %s", strerror(errno));
            _exit(126);
        }
        drop_caps();
        if (confine_syscalls(getpid()) < 0) {
            int e = errno;
            if (e == ENOSYS)
                say("qb-nofs no seccomp filter for this architecture");
            else
                say("qb-setup seccomp: %s", strerror(e));
            _exit(e == ENOSYS ? 125 : 126);
        }
    }
    execve(sb->path, sb->argv, sb->envp);
    say("qb-exec %s", strerror(errno));
    _exit(127);
}

/* append to a buffer that keeps its last keep bytes (or, first_only, its first) */
static void keep_add(char **buf, size_t *len, const char *p, size_t n, size_t keep, bool first_only)
{
    if (first_only) {
        if (*len >= keep)
            return;
        n = n > keep - *len ? keep - *len : n;
    }
    *buf = xrealloc(*buf, *len + n + 1);
    memcpy(*buf + *len, p, n);
    *len += n;
    if (!first_only && *len > keep) {
        memmove(*buf, *buf + (*len - keep), keep);
        *len = keep;
    }
    (*buf)[*len] = '\0';
}

/* read what is there; false at EOF or an error */
static bool drain(int fd, char **buf, size_t *len, size_t keep, bool first_only)
{
    char chunk[4096];
    for (;;) {
        ssize_t k = read(fd, chunk, sizeof(chunk));
        if (k > 0) {
            keep_add(buf, len, chunk, (size_t)k, keep, first_only);
            continue;
        }
        if (k < 0 && (errno == EINTR))
            continue;
        return k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
}

static void kill_group(pid_t pid)
{
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
}

/* the child's own lines on fd 3 (why it stopped before exec), taken out of r->res */
static void read_setup(struct sandbox_run *r)
{
    char *p = r->res, *nl;
    while (p && (nl = strchr(p, '\n')) != NULL) {
        *nl = '\0';
        bool mine = true;
        if (strncmp(p, "qb-nofs ", 8) == 0) {
            r->no_fs = true;
            snprintf(r->setup, sizeof(r->setup), "%s", p + 8);
        } else if (strncmp(p, "qb-setup ", 9) == 0) {
            snprintf(r->setup, sizeof(r->setup), "%s", p + 9);
        } else if (strncmp(p, "qb-exec ", 8) == 0) {
            snprintf(r->setup, sizeof(r->setup), "cannot run '%s': %s", "the program", p + 8);
        } else {
            mine = false;
        }
        *nl = '\n';
        if (!mine)
            break;
        p = nl + 1;
    }
    if (p && p != r->res) {
        r->res_len -= (size_t)(p - r->res);
        memmove(r->res, p, r->res_len + 1);
    }
}

int sandbox_run(const struct sandbox *sb, struct sandbox_run *r, char *err)
{
    memset(r, 0, sizeof(*r));
    int po[2], pr[2];
    if (pipe2(po, O_CLOEXEC) < 0)
        return set_err(err, "cannot make a pipe: %s", strerror(errno));
    if (pipe2(pr, O_CLOEXEC) < 0) {
        close(po[0]);
        close(po[1]);
        return set_err(err, "cannot make a pipe: %s", strerror(errno));
    }
    const char *fsmode = getenv("QB_GRADE_FS");
    struct child_plan cp = {.sb = sb,
                            .out_w = po[1],
                            .res_w = pr[1],
                            .parent = getpid(),
                            .uid = getuid(),
                            .gid = getgid(),
                            /* without Landlock the mount namespace confines writes */
                            .want_mount =
                                (fsmode && strcmp(fsmode, "mount") == 0) || landlock_abi() == 0,
                            .cpu_s = (rlim_t)sb->timeout_s + 2};
    fflush(NULL);
    uint64_t t0 = monotime_ns();
    pid_t pid = fork();
    if (pid < 0) {
        set_err(err, "cannot fork: %s", strerror(errno));
        close(po[0]), close(po[1]), close(pr[0]), close(pr[1]);
        return -1;
    }
    if (pid == 0)
        child(&cp);
    close(po[1]);
    close(pr[1]);
    setpgid(pid, pid); /* also here: no kill may miss the group for a race */
    sig_track_group(pid);
    fcntl(po[0], F_SETFL, O_NONBLOCK);
    fcntl(pr[0], F_SETFL, O_NONBLOCK);
    bool out_open = true, res_open = true, exited = false;
    const uint64_t deadline = t0 + (uint64_t)(sb->timeout_s * 1e9);
    while (!exited) {
        pid_t w = waitpid(pid, &r->status, WNOHANG);
        if (w == pid) {
            exited = true;
            break;
        }
        uint64_t now = monotime_ns();
        if (now >= deadline) {
            r->timed_out = true;
            break;
        }
        struct pollfd pf[3];
        int n = 0;
        if (out_open)
            pf[n++] = (struct pollfd){po[0], POLLIN, 0};
        if (res_open)
            pf[n++] = (struct pollfd){pr[0], POLLIN, 0};
        if (sig_fd() >= 0)
            pf[n++] = (struct pollfd){sig_fd(), POLLIN, 0};
        /* with the pipes closed only waitpid can tell the end: look every 5 ms */
        uint64_t left_ms = (deadline - now) / 1000000 + 1;
        int wait_ms = out_open || res_open ? (left_ms > 50 ? 50 : (int)left_ms) : 5;
        poll(pf, (nfds_t)n, wait_ms);
        if (out_open)
            out_open = drain(po[0], &r->out, &r->out_len, OUT_KEEP, false);
        if (res_open)
            res_open = drain(pr[0], &r->res, &r->res_len, RES_KEEP, true);
        if (sig_caught()) {
            r->interrupted = true;
            break;
        }
    }
    /* the whole group: what the program left behind goes with it */
    kill_group(pid);
    if (!exited)
        while (waitpid(pid, &r->status, 0) < 0 && errno == EINTR)
            ;
    sig_untrack_group(pid);
    if (out_open)
        drain(po[0], &r->out, &r->out_len, OUT_KEEP, false);
    if (res_open)
        drain(pr[0], &r->res, &r->res_len, RES_KEEP, true);
    close(po[0]);
    close(pr[0]);
    r->wall_s = (double)(monotime_ns() - t0) / 1e9;
    if (!r->out)
        r->out = xstrdup("");
    if (!r->res)
        r->res = xstrdup("");
    read_setup(r);
    return 0;
}
