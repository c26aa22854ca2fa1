/* What both load loops (load.c on libcurl, h1load.c on our own client) keep of a run's
 * lanes: each lane's requests in order, the next of each to send, how many are in flight,
 * and the requests that end without being sent. */
#ifndef QB_NET_LANES_H
#define QB_NET_LANES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/exit.h"
#include "load.h"

struct netload_lanes {
    int n;          /* lanes (at least 1) */
    size_t *order;  /* the requests' indexes, lane after lane, each lane in order */
    size_t *first;  /* [n + 1]: where each lane starts in order (first[n] = all) */
    size_t *next;   /* [n]: the next of each lane to send (an index into order) */
    int *in_flight; /* [n] */
    long total_cap; /* the most requests that may be in flight at once, all lanes */
};

void netload_lanes_init(const struct netload *l, struct netload_lanes *ln);
void netload_lanes_free(struct netload_lanes *ln);

/* the next request of lane k to send at now (its index; the lane moves on), or -1 when
 * none is: the lane's next is due later (*next_due lowered to that time where the lane's
 * cap lets it go then) or the lane is at its cap (*pending set in both cases), or the lane
 * is empty */
long netload_lane_take(const struct netload *l, struct netload_lanes *ln, int k, uint64_t start,
                       uint64_t now, uint64_t *next_due, bool *pending);

/* request i ends without being sent (the run stopped, a handle could not be made) */
void netload_not_sent(struct netload *l, size_t i, uint64_t start, enum qb_kind kind,
                      const char *why);

/* every request of every lane not sent yet ends as not sent */
void netload_lanes_drop(struct netload *l, struct netload_lanes *ln, uint64_t start,
                        enum qb_kind kind, const char *why);

/* whether the run stops now: QB_KIND_INTERRUPTED on a signal, QB_KIND_TIMEOUT at
 * limit_ns (0: none; l->interrupted or l->timed_out set), with *why; else QB_KIND_OK */
enum qb_kind netload_stop_now(struct netload *l, uint64_t now, uint64_t limit_ns, const char **why);

#endif
