#include "procmem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int proc_mem_read(pid_t pid, struct proc_mem *m)
{
    char path[64], line[256];
    memset(m, 0, sizeof(*m));
    if (pid)
        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    else
        snprintf(path, sizeof(path), "/proc/self/status");
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f)) {
        unsigned long long kb;
        if (sscanf(line, "VmRSS: %llu kB", &kb) == 1)
            m->rss = kb * 1024;
        else if (sscanf(line, "VmHWM: %llu kB", &kb) == 1)
            m->hwm = kb * 1024;
        else if (sscanf(line, "RssAnon: %llu kB", &kb) == 1)
            m->anon = kb * 1024;
        else if (sscanf(line, "RssFile: %llu kB", &kb) == 1)
            m->file = kb * 1024;
    }
    fclose(f);
    return 0;
}

double proc_load_average(void)
{
    char line[128];
    FILE *f = fopen("/proc/loadavg", "r");
    if (!f)
        return -1;
    char *got = fgets(line, sizeof(line), f);
    fclose(f);
    if (!got)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(line, &end);
    return errno || end == line || *end != ' ' || v < 0 ? -1 : v;
}
