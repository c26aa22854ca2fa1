/* Monotonic and wall clocks (see clock.h). */
#include "clock.h"

#include <time.h>

uint64_t monotime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void walltime_rfc3339(char *buf, int n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, (size_t)n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
