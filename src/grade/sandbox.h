/* Running an untrusted program (a model's code) in a child process confined as far as the
 * kernel allows: its own process group, resource limits, no new processes, writes only
 * under one directory, no network, a wall-clock timeout. Inside src/grade/ only. */
#ifndef QB_SANDBOX_H
#define QB_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sandbox {
    const char *dir;      /* the working directory, the only place it may write */
    const char *path;     /* the program to exec (a path, no PATH search) */
    char *const *argv;    /* its arguments, NULL-terminated */
    char *const *envp;    /* its whole environment, NULL-terminated */
    double timeout_s;     /* wall clock; its process group is killed past it */
    uint64_t mem_bytes;   /* RLIMIT_AS */
    uint64_t fsize_bytes; /* RLIMIT_FSIZE */
    bool confine;         /* false: only the timeout, the group and stdin /dev/null */
};

struct sandbox_run {
    int status;       /* waitpid's status of the child */
    bool timed_out;   /* killed at the timeout */
    bool interrupted; /* a SIGINT / SIGTERM reached quantbench (util/sig.h): killed */
    char *out;        /* stdout and stderr together, their last 16 KiB (the caller frees) */
    size_t out_len;
    char *res; /* what it wrote on fd 3, the first 4 KiB (the caller frees) */
    size_t res_len;
    char setup[256]; /* why the confinement could not be set up, "" when it was */
    bool no_fs;      /* no way to confine writes on this kernel: it did not run */
    double wall_s;   /* how long it ran */
};

/* Run sb's program and wait for it (or its timeout). Confined, in order: a new user and
 * network namespace where unshare allows (root: the network namespace alone), writes
 * confined to dir by Landlock (the default where the kernel has it; TCP, signals and
 * ptrace to outside processes cut as well) or else by a mount namespace in which every
 * mount but dir's is read-only, RLIMIT_CPU (the timeout + 1 s), RLIMIT_AS, RLIMIT_FSIZE,
 * RLIMIT_NPROC, RLIMIT_NOFILE, no core files, capabilities dropped, no_new_privs and a
 * seccomp filter (x86-64 and arm64): no new processes (threads are allowed), no signal,
 * ptrace or pidfd to another process, no socket, no io_uring, no new namespaces. SIGKILL
 * when quantbench dies. QB_GRADE_FS=mount in the environment picks the mount namespace
 * over Landlock (tests). Without a way to confine writes (or without the seccomp filter)
 * the program does not run: r->no_fs. 0 with r filled (the caller frees r->out and
 * r->res), or -1 with err (no pipe, no fork). */
int sandbox_run(const struct sandbox *sb, struct sandbox_run *r, char *err);

#endif
