/* Unit test runner: runs every registered test (or those named on the command
 * line), prints "ok - name" / "FAIL - name" per test and a summary line. Also
 * serves as a worker process (with the fake engine) for the worker tests. */
#include <stdio.h>
#include <string.h>

#include "../../src/engine/worker.h"
#include "../../src/run/serve.h"
#include "test.h"

int test_failures;

/* clang-format off */
#define TESTS(X) \
    X(stats_basic) X(stats_ci) X(args_lists) X(args_ranges) X(args_errors) \
    X(util_escape) \
    X(gguf_roundtrip) X(gguf_corrupt) X(gguf_types) X(proto_roundtrip) X(proto_bad) X(proto_prompts) \
    X(pp_tg_counts) X(pp_tg_depth) X(pp_tg_depth_cache) X(pp_tg_auto_reps) X(pp_tg_decode_error) X(worker_roundtrip) X(worker_death) \
    X(bench_row_stats) X(bench_report_md) X(bench_report_json) X(bench_row_noisy) \
    X(sweep_sequence) X(batched_layout) X(batched_speeds) X(ppl_method) X(sha256) \
    X(store_rows) X(store_migrate) X(store_stray_tx) X(store_refuse) \
    X(store_suite) X(store_cell_atomic) X(store_migrate_v3) X(store_merge) X(store_network_fs) X(ratio_ci) X(compare_metrics) \
    X(imatrix_roundtrip) X(imatrix_corrupt) X(ppl_tokens_check) \
    X(progress_eta) X(output_formats) X(models_exit) \
    X(mem_probe) X(mem_run_estimate) X(mem_model_row) X(ctxmax_run) X(ctxmax_interpolate) \
    X(field_json) X(field_strict) X(field_flags) X(field_prompts_flags) X(field_help) X(fields_defaults) X(fields_store) X(fields_proto_strict) \
    X(error_kinds) X(suite_table) X(suite_table_loads) X(suite_eta) \
    X(prompts_stream) X(prompts_stop) X(prompts_limits) X(prompts_utf8) X(prompts_run) X(prompts_graded) \
    X(grade_cases) X(grade_think) X(grade_specs) X(grade_builtin_set) \
    X(sse_split) X(sse_limits) X(http_url) X(http_stream) X(prompts_server_endpoint) X(prompts_server_stream) X(prompts_server_request) \
    X(dash_url) X(dash_api_runs) X(dash_api_run) X(dash_api_rows_events) X(dash_api_compare) X(dash_api_errors) \
    X(dash_frames) X(dash_event_id) X(dash_loopback) X(store_query_only) X(dash_page) X(dash_report) X(store_second_handle) \
    X(load_percentiles) X(load_chunk) X(load_chunk_scanner) X(load_summary) X(load_schedule) X(load_loopback) \
    X(hf_listing) X(hf_tag) X(hf_ranges) \
    X(slurm_shards) X(slurm_script) \
    X(h1_answers) X(h1_ends)
/* clang-format on */

#define DECL(name) void test_##name(void);
TESTS(DECL)

struct test_entry {
    const char *name;
    void (*fn)(void);
};

#define ENTRY(name) {#name, test_##name},
static const struct test_entry tests[] = {TESTS(ENTRY)};

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "__worker") == 0)
        return worker_main(0);
    int passed = 0, failed = 0;
    for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
        if (argc > 1) {
            int want = 0;
            for (int k = 1; k < argc; k++)
                want |= strcmp(argv[k], tests[i].name) == 0;
            if (!want)
                continue;
        }
        int before = test_failures;
        tests[i].fn();
        if (test_failures == before) {
            printf("ok - unit %s\n", tests[i].name);
            passed++;
        } else {
            printf("FAIL - unit %s\n", tests[i].name);
            failed++;
        }
        fflush(stdout);
    }
    printf("unit: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
