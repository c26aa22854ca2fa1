/* The CLI part mem and ctxmax share (see memcmd.h). */
#include "memcmd.h"

#include <stdio.h>
#include <string.h>

#include "../util/log.h"

void memcmd_init(struct memcmd *mc)
{
    mc->n_seq = 1;
    mc->kv_unified = false;
    mc->gpus = -1;
    mc->devices[0] = '\0';
}

int memcmd_flag(struct memcmd *mc, const char *a, const char *v, bool *used_value, char *err)
{
    *used_value = false;
    if (!strcmp(a, "--kv-unified")) {
        mc->kv_unified = true;
        return 1;
    }
    bool np = !strcmp(a, "-np") || !strcmp(a, "--parallel");
    bool dev = !strcmp(a, "-dev") || !strcmp(a, "--device");
    if (!np && !dev && strcmp(a, "--gpus"))
        return 0;
    if (!v)
        return set_err(err, "%s needs a value", a);
    *used_value = true;
    if (dev) {
        if (!v[0] || strspn(v, ",/") == strlen(v) || strlen(v) >= sizeof(mc->devices))
            return set_err(err,
                           "invalid value '%s' for %s (expected a device list such as "
                           "CUDA0,CUDA1, or none)",
                           v, a);
        snprintf(mc->devices, sizeof(mc->devices), "%s", v);
        return 1;
    }
    int x;
    if (np) {
        if (parse_int(v, 1, 4096, &x) < 0)
            return set_err(err, "invalid value '%s' for %s (expected an integer in 1..4096)", v, a);
        mc->n_seq = x;
    } else {
        if (parse_int(v, 0, MEM_MAX_GPUS, &x) < 0)
            return set_err(err, "invalid value '%s' for %s (expected an integer in 0..%d)", v, a,
                           MEM_MAX_GPUS);
        mc->gpus = x;
    }
    return 1;
}

void memcmd_run_params(const struct memcmd *mc, const struct single_opts *so,
                       struct mem_run_params *p)
{
    mem_run_params_init(p);
    p->model = so->model;
    p->mp = so->mp;
    snprintf(p->mp.devices, sizeof(p->mp.devices), "%s", mc->devices);
    p->cp = so->cp;
    p->cp.n_seq_max = (uint32_t)mc->n_seq;
    p->cp.kv_unified = mc->kv_unified;
    p->gpus = mc->gpus;
    p->seed = so->seed;
    p->verbose = so->verbose;
    p->timeout_s = so->timeout_s;
}

void memcmd_on_estimate(const struct mem_model *m, void *ud)
{
    (void)ud;
    if (m->est.unmatched[0])
        log_printf("quantbench: warning: -ot pattern '%s' matches no tensor of '%s'\n",
                   m->est.unmatched, m->path);
}
