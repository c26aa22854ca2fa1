/* quantbench mem: memory a model and context will take, per device and buffer type,
 * estimated from GGUF metadata alone; next to it llama.cpp's own dry run (no_alloc, in a
 * worker) and, with --measure, what a real load, context and full-context decode
 * allocated. --budget with several models: do they fit together, and the largest
 * context each could have. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../run/mem.h"
#include "../util/util.h"
#include "cmd.h"
#include "memcmd.h"
#include "memprint.h"
#include "single.h"

static const char mem_help[] =
    "usage: quantbench mem -m MODEL [-m MODEL ...] [flags]\n"
    "\n"
    "MODEL: a GGUF file, a file of a model's header alone, an http(s):// URL or a Hugging\n"
    "Face OWNER/NAME[:QUANT] ($HF_ENDPOINT, $HF_TOKEN): only the header is read (Range\n"
    "requests; a split model's every part), no dry run or --measure for a model not here.\n"
    "\n"
    "Memory per device from the GGUF metadata (no weights read): weights, KV cache, compute\n"
    "and output buffers per llama.cpp buffer type, following its placement rules (-ngl,\n"
    "-ot, -ncmoe, -nkvo, mmap, CPU repacking). Shown next to llama.cpp's own dry run\n"
    "(no_alloc) and, with --measure, to what a real load allocated (llama.cpp's buffers,\n"
    "peak RSS, device free memory), with --fill after decoding the whole context.\n"
    "\n"
    "Flags (defaults in brackets):\n"
    "  -np, --parallel N           parallel sequences (KV streams) [1]\n"
    "  --kv-unified                one KV stream shared by all sequences\n"
    "  --gpus N                    estimate for N GPUs [as many as -dev names, else the GPUs\n"
    "                              this build sees]; for other hardware than this machine's\n"
    "                              (--gpus or -dev) the dry run is n/a and --measure refused\n"
    "  --budget SIZE               memory budget: does the set fit (exit 5 when not), the\n"
    "                              largest context of each model that fits with the others, at\n"
    "                              most its training context, and the most -np of the context\n"
    "                              per sequence (-c / -np, as llama.cpp divides it) that fit;\n"
    "                              96GB = 96e9 bytes, 96GiB = 96G = 96 * 2^30 (K M G T: KB..TB\n"
    "                              powers of 1000, KiB..TiB 1024). Checked against the plan:\n"
    "                              the estimate plus a bound line per case it is not exact\n"
    "                              (CUDA FA scratch, FA over a quantized cache, layers on the\n"
    "                              CPU beside a GPU, a narrow FFN)\n"
    "  --no-dry-run                skip llama.cpp's dry run\n"
    "  --measure                   also load for real and create the context (in a worker)\n"
    "  --fill                      --measure, then decode the whole context (peak "
    "RSS)\n" MEMCMD_HELP "\n"
    "json: per model the parts (buft, dev, model, context, compute, output bytes), per device\n"
    "weights, kv, compute, output and total bytes, total_bytes, and the dry run and the\n"
    "measurement when made; jsonl: one such model object per line, then {\"budget\": ...}\n"
    "with --budget; csv: the md table of every model, the model first (and with --budget the\n"
    "largest context that fits beside the others last).\n"
    "\n" QB_EXIT_CODES_HELP;

struct mem_opts {
    struct single_opts so; /* -m: so.models */
    bool dry, measure, fill;
    uint64_t budget;
};

static int usage(void)
{
    fputs(mem_help, stdout);
    return QB_EXIT_OK;
}

int cmd_mem(int argc, char **argv)
{
    struct mem_opts o;
    memset(&o, 0, sizeof(o));
    single_opts_init(&o.so);
    o.dry = true;
    struct memcmd mc;
    memcmd_init(&mc);
    char err[QB_ERR_LEN];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool used = false;
        int rc;
        if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            return usage();
        if (!strcmp(a, "--no-dry-run")) {
            o.dry = false;
            continue;
        }
        if (!strcmp(a, "--measure")) {
            o.measure = true;
            continue;
        }
        if (!strcmp(a, "--fill")) {
            o.measure = o.fill = true;
            continue;
        }
        if (!strcmp(a, "--budget")) {
            if (!v)
                return usage_error("mem", "%s needs a value", a);
            if (parse_size(v, &o.budget) < 0 || o.budget == 0)
                return usage_error(
                    "mem", "invalid size '%s' for --budget (expected e.g. 96GiB, 512MiB, 8G)", v);
            i++;
            continue;
        }
        rc = memcmd_flag(&mc, a, v, &used, err);
        if (rc == 0)
            rc = single_opts_flag(&o.so, a, v, &used, err);
        if (rc < 0)
            return usage_error("mem", "%s", err);
        if (rc == 0)
            return usage_error("mem", "unknown flag '%s'", a);
        if (used)
            i++;
    }
    o.so.header_only = true; /* a plan needs the header: a URL, a file without its data */
    int check = single_opts_check(&o.so, "mem");
    if (check)
        return check;
    const int n = o.so.n_models;
    struct mem_run_params p;
    memcmd_run_params(&mc, &o.so, &p);
    struct mem_run_want w = {
        .dry = o.dry, .measure = o.measure, .fill = o.fill, .budget = o.budget};
    struct mem_run_events ev = {.on_estimate = memcmd_on_estimate};
    struct mem_model *mm = xcalloc((size_t)n, sizeof(*mm));
    int ret = mem_run(&p, o.so.models, n, &w, &ev, mm, err);
    if (ret == QB_EXIT_USAGE)
        usage_error("mem", "%s", err);
    else if (ret == QB_EXIT_INPUT || ret == QB_EXIT_FAIL || ret == QB_EXIT_SIGINT ||
             ret == QB_EXIT_SIGTERM)
        error("%s", err);
    else if (mem_print(o.so.fmt, mm, n, o.budget) < 0)
        ret = error("cannot write the output");
    else if (o.budget && mem_models_need(mm, n) > o.budget)
        ret = QB_EXIT_NOFIT; /* the answer asked for, over a failed dry run's 4 */
    for (int k = 0; k < n; k++)
        mem_model_release(&mm[k]);
    free(mm);
    return ret;
}
