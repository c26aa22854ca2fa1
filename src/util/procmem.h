/* A process's memory as Linux reports it in /proc/PID/status. */
#ifndef QB_PROCMEM_H
#define QB_PROCMEM_H
#include <stdint.h>
#include <sys/types.h>

struct proc_mem {
    uint64_t rss;  /* VmRSS: resident now, bytes */
    uint64_t hwm;  /* VmHWM: peak resident */
    uint64_t anon; /* RssAnon */
    uint64_t file; /* RssFile: mapped file pages (mmap'd weights) */
};

/* pid 0 = this process; 0 ok, -1 when the file cannot be read */
int proc_mem_read(pid_t pid, struct proc_mem *m);

/* The 1-minute load average (/proc/loadavg); -1 when it cannot be read */
double proc_load_average(void);

#endif
