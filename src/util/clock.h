/* The one clock every measurement uses: CLOCK_MONOTONIC in nanoseconds. */
#ifndef QB_CLOCK_H
#define QB_CLOCK_H

#include <stdint.h>

uint64_t monotime_ns(void);
/* Wall-clock time as RFC 3339 UTC ("2026-11-22T10:00:00Z") into buf */
void walltime_rfc3339(char *buf, int n);

#endif
