/* A load run's lanes (see lanes.h). */
#include "lanes.h"

#include <stdlib.h>
#include <string.h>

#include "../util/clock.h"
#include "../util/sig.h"
#include "../util/util.h"

void netload_lanes_init(const struct netload *l, struct netload_lanes *ln)
{
    int n = l->n_lanes > 0 ? l->n_lanes : 1;
    ln->n = n;
    ln->order = xmalloc((l->n ? l->n : 1) * sizeof(size_t));
    ln->first = xcalloc((size_t)n + 1, sizeof(size_t));
    ln->next = xcalloc((size_t)n, sizeof(size_t));
    ln->in_flight = xcalloc((size_t)n, sizeof(int));
    for (size_t i = 0; i < l->n; i++)
        ln->first[l->reqs[i].lane + 1]++;
    for (int k = 0; k < n; k++)
        ln->first[k + 1] += ln->first[k];
    memcpy(ln->next, ln->first, (size_t)n * sizeof(size_t));
    size_t *fill = xmalloc((size_t)n * sizeof(size_t));
    memcpy(fill, ln->first, (size_t)n * sizeof(size_t));
    for (size_t i = 0; i < l->n; i++)
        ln->order[fill[l->reqs[i].lane]++] = i;
    free(fill);
    ln->total_cap = 0;
    for (int k = 0; k < n; k++)
        ln->total_cap += l->lane_cap && l->lane_cap[k] > 0 ? l->lane_cap[k] : (long)l->n;
}

void netload_lanes_free(struct netload_lanes *ln)
{
    free(ln->order);
    free(ln->first);
    free(ln->next);
    free(ln->in_flight);
    memset(ln, 0, sizeof(*ln));
}

long netload_lane_take(const struct netload *l, struct netload_lanes *ln, int k, uint64_t start,
                       uint64_t now, uint64_t *next_due, bool *pending)
{
    if (ln->next[k] >= ln->first[k + 1])
        return -1;
    int cap = l->lane_cap && l->lane_cap[k] > 0 ? l->lane_cap[k] : 0;
    size_t i = ln->order[ln->next[k]];
    uint64_t due = start + l->reqs[i].due_ns;
    if (due > now) {
        if ((!cap || ln->in_flight[k] < cap) && due < *next_due)
            *next_due = due;
        *pending = true;
        return -1;
    }
    if (cap && ln->in_flight[k] >= cap) {
        *pending = true;
        return -1;
    }
    ln->next[k]++;
    return (long)i;
}

void netload_not_sent(struct netload *l, size_t i, uint64_t start, enum qb_kind kind,
                      const char *why)
{
    struct netload_done d;
    memset(&d, 0, sizeof(d));
    d.kind = kind;
    d.issue_ns = start + l->reqs[i].due_ns;
    d.end_ns = monotime_ns();
    set_err(d.err, "not sent: %s", why);
    if (l->on_done)
        l->on_done(l->ud, i, &d);
}

void netload_lanes_drop(struct netload *l, struct netload_lanes *ln, uint64_t start,
                        enum qb_kind kind, const char *why)
{
    for (int k = 0; k < ln->n; k++)
        for (; ln->next[k] < ln->first[k + 1]; ln->next[k]++)
            netload_not_sent(l, ln->order[ln->next[k]], start, kind, why);
}

enum qb_kind netload_stop_now(struct netload *l, uint64_t now, uint64_t limit_ns, const char **why)
{
    if (sig_caught()) {
        *why = "interrupted";
        l->interrupted = true;
        return QB_KIND_INTERRUPTED;
    }
    if (limit_ns && now >= limit_ns) {
        *why = "the run's time limit (--max-duration) came";
        l->timed_out = true;
        return QB_KIND_TIMEOUT;
    }
    return QB_KIND_OK;
}
