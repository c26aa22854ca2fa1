/* quantbench: argv[1] selects a command from commands[]; each command parses its
 * own flags. The hidden "__worker" mode is the worker process (see
 * engine/worker.h) and "__check-types" checks our ggml type table. */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "engine/engine.h"
#include "engine/worker.h"
#include "run/serve.h"
#include "store/dbrun.h"
#include "util/log.h"
#include "util/sig.h"
#include "util/util.h"

#ifndef QB_VERSION
#define QB_VERSION "0.1.0"
#endif

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help; /* one line for the list */
    int stores;       /* 1: writes result rows to the results database; 2: neither, but stops
                         cleanly on a signal itself (serve); 0: ended by a signal at once */
};

static const struct command commands[] = {
    {"run", cmd_run, "a suite: models x settings x tests from one file, resumable (the main job)",
     1},
    {"bench", cmd_bench, "prompt (pp) and generation (tg) speed, llama-bench compatible", 1},
    {"sweep", cmd_sweep, "pp and tg speed against context depth in one pass (sweep-bench)", 1},
    {"ctxmax", cmd_ctxmax, "largest context that loads and runs (probes in fresh workers)", 1},
    {"quality", cmd_quality, "perplexity of a text (llama-perplexity's method)", 1},
    {"prompts", cmd_prompts, "answers to prompts, timed as llama-server times them, and graded", 1},
    {"quantize", cmd_quantize, "the quantization ladder through llama.cpp's quantizer", 1},
    {"mem", cmd_mem, "memory per device: estimate, llama.cpp's dry run, measurement", 0},
    {"load", cmd_load, "load-tests OpenAI-compatible servers: TTFT, TPOT, ITL, throughput (vLLM's)",
     1},
    {"batched", cmd_batched, "speed with B parallel sequences (llama-batched-bench)", 1},
    {"serve", cmd_serve, "the dashboard: live run, results, charts, history, compare (HTTP)", 2},
    {"compare", cmd_compare, "A/B of stored runs, labels or builds: delta % with 95% intervals", 0},
    {"report", cmd_report, "stored rows as md, csv, json, jsonl or an html page with charts", 0},
    {"import", cmd_import, "store llama-bench / batched-bench / sweep-bench result files", 0},
    {"merge", cmd_merge, "results databases into one (a Slurm job array's), content-keyed", 2},
    {"pull", cmd_pull,
     "download GGUF files from Hugging Face: quant by tag, resumable, hash-checked", 2},
    {"info", cmd_info, "show a GGUF model's architecture, size, types and shape", 0},
    {"synth", cmd_synth, "write a random-weight GGUF model (llama architecture, dense or MoE)", 0},
    {"version", cmd_version, "print quantbench's and llama.cpp's versions and backends", 0},
};

static void print_help(FILE *fp)
{
    fprintf(fp, "usage: quantbench <command> [flags]   (quantbench <command> --help for more)\n\n"
                "Benchmarks GGUF models through llama.cpp: speed, memory, context, quality.\n\n"
                "Commands:\n");
    for (size_t i = 0; i < QB_ARRAY_LEN(commands); i++)
        fprintf(fp, "  %-9s %s\n", commands[i].name, commands[i].help);
    fprintf(fp,
            "\nGlobal flags:\n  --help, -h     this help\n  --version      same as "
            "'quantbench version'\n\n%s",
            QB_EXIT_CODES_HELP);
}

int cmd_version(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: quantbench version\n\nPrints quantbench's version, the llama.cpp it was "
               "built with (version, commit, build number) and the backends it can use.\n\n%s",
               QB_EXIT_CODES_HELP);
        return QB_EXIT_OK;
    }
    if (argc > 1)
        return usage_error("version", "unexpected argument '%s'", argv[1]);
    engine_global_init(0);
    struct engine_build_info bi;
    engine_build_info(&bi);
    printf("quantbench %s\n", QB_VERSION);
    printf("llama.cpp %s (commit %s, build %d)\n", bi.version, bi.commit, bi.build_number);
    printf("backends: %s\n", bi.backends);
    printf("cpu: %s\n", bi.cpu_info);
    printf("gpu: %s\n", bi.gpu_info[0] ? bi.gpu_info : "none");
    printf("system: %s\n", bi.system_info);
    return QB_EXIT_OK;
}

static int check_types(void)
{
    char err[QB_ERR_LEN];
    engine_global_init(0);
    if (engine_check_types(err) < 0)
        return error("type table mismatch: %s", err);
    printf("type table matches ggml\n");
    return QB_EXIT_OK;
}

int main(int argc, char **argv)
{
    setlocale(LC_NUMERIC, "C");
    if (argc >= 2 && strcmp(argv[1], "__worker") == 0) {
        int v = 0;
        if (argc >= 3)
            parse_int(argv[2], 0, 9, &v);
        return worker_main(v);
    }
    if (argc >= 2 && strcmp(argv[1], "__check-types") == 0)
        return check_types();
    if (argc < 2) {
        print_help(stderr);
        return QB_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_help(stdout);
        return QB_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0)
        return cmd_version(1, argv + 1);
    for (size_t i = 0; i < QB_ARRAY_LEN(commands); i++) {
        if (strcmp(argv[1], commands[i].name) != 0)
            continue;
        if (commands[i].stores == 2)
            return commands[i].fn(argc - 1, argv + 1);
        if (!commands[i].stores) {
            /* nothing to unwind: a signal ends them at once, without their temporary files
             * (report's and compare's private copy of a database on read-only media) */
            char err[QB_ERR_LEN];
            if (sig_install_fatal(err) < 0)
                return error("%s", err);
            return commands[i].fn(argc - 1, argv + 1);
        }
        /* the handlers first: a signal while the database is checked only sets a flag,
         * so the check ends through its own clean-up */
        char err[QB_ERR_LEN];
        if (sig_install(err) < 0)
            return error("%s", err);
        int n = argc - 1, rc = dbrun_setup(commands[i].name, &n, argv + 1);
        if (rc == 0)
            rc = commands[i].fn(n, argv + 1);
        /* the command stopped early; what it finished is kept. A row that could not be
         * stored ended the run 'failed' already: that, exit 1, is what happened */
        if (sig_caught() && !dbrun_stopped()) {
            rc = sig_exit_code();
            error("interrupted by SIG%s: finished rows are kept", sigabbrev_np(sig_caught()));
        }
        rc = dbrun_finish(rc);
        for (int k = 1; k < n; k++)
            if (strcmp(argv[1 + k], "--help") == 0 || strcmp(argv[1 + k], "-h") == 0) {
                printf("\n%s", dbrun_help);
                break;
            }
        return rc;
    }
    log_printf("quantbench: unknown command '%s'; try 'quantbench --help'\n", argv[1]);
    return QB_EXIT_USAGE;
}
