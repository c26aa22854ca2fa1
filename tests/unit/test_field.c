/* field tables: JSON both ways, strict reading, flags, help */
#include <stdint.h>
#include <stdlib.h>

#include "../../src/engine/engine.h"
#include "../../src/record/field.h"
#include "../../src/record/fields.h"
#include "../../src/run/proto.h"
#include "../../src/store/store.h"
#include "../../src/util/util.h"
#include "test.h"

struct rec {
    int n;
    uint32_t u;
    uint64_t big;
    bool on;
    double x;
    char s[8];
    int mode;
    int fa;
    float ts[4];
};

static const struct field_name modes[] = {{"none", 0}, {"layer", 1}, {"row", 2}, {NULL, 0}};
static const struct field_name fas[] = {{"on", 1}, {"off", 0}, {"auto", -1}, {NULL, 0}};
#define F(m) FIELD_PART_LOAD, offsetof(struct rec, m), sizeof(((struct rec *)0)->m)
static const struct field tab[] = {
    {"n", "-n", "--n-things", FIELD_INT, F(n), "", -1, 100, 0, NULL, NULL, NULL, "N", "1", "things",
     FIELD_USE_ROW | FIELD_USE_FLAG},
    {"u", "-u", "--u-size", FIELD_U32, F(u), "tokens", 1, 1 << 30, 1 << 24, NULL, NULL, NULL, "N",
     "4096", "context size in tokens", FIELD_USE_ROW | FIELD_USE_FLAG},
    {"big", NULL, "--big", FIELD_U64, F(big), "", 0, 9007199254740991.0, 0, NULL, NULL, NULL, "N",
     "1", "a seed", FIELD_USE_ROW},
    {"on", "-on", "--on", FIELD_BOOL, F(on), "", 0, 1, 0, NULL, NULL, NULL, "0|1", "0",
     "switch it on", FIELD_USE_ROW | FIELD_USE_FLAG},
    {"x", NULL, "--x", FIELD_DOUBLE, F(x), "s", 0, 10, 0, NULL, NULL, NULL, "S", "0", "seconds",
     FIELD_USE_ROW},
    {"s", "-s", "--str", FIELD_STR, F(s), "", 0, 0, 0, NULL, "none", NULL, "S", "none", "a string",
     FIELD_USE_ROW | FIELD_USE_FLAG},
    {"mode", "-sm", "--split-mode", FIELD_ENUM, F(mode), "", 0, 2, 0, modes, NULL, NULL, "M",
     "layer", "none, layer or row", FIELD_USE_ROW | FIELD_USE_FLAG},
    {"fa", "-fa", "--flash-attn", FIELD_INT, F(fa), "", -1, 1, 0, fas, NULL, NULL, "X", "auto",
     "on, off or auto", FIELD_USE_ROW | FIELD_USE_FLAG},
    {"ts", "-ts", "--tensor-split", FIELD_FLOATS, F(ts), "", 0, 0, 0, NULL, NULL, NULL, "A/B", "0",
     "proportions", FIELD_USE_ROW | FIELD_USE_FLAG},
};
#undef F
#define N QB_ARRAY_LEN(tab)

void test_field_json(void)
{
    char err[QB_ERR_LEN];
    struct rec r = {5, 4096, 1ull << 40, true, 2.5, "", 2, -1, {3, 1, 0, 0}}, b;
    for (int form = 0; form < 2; form++) {
        cJSON *o = cJSON_CreateObject();
        const void *in[FIELD_N_PARTS] = {&r};
        field_write(tab, N, FIELD_USE_ROW, in, (enum field_form)form, o);
        char *txt = cJSON_PrintUnformatted(o);
        if (form == FIELD_FORM_ROW)
            CHECK_STR(txt, "{\"n\":5,\"u\":4096,\"big\":1099511627776,\"on\":true,\"x\":2.5,"
                           "\"s\":\"none\",\"mode\":\"row\",\"fa\":-1,\"ts\":\"3.00/1.00\"}");
        else
            CHECK(strstr(txt, "\"ts\":[3,1,0,0]") != NULL);
        free(txt);
        memset(&b, 0x55, sizeof(b));
        void *out[FIELD_N_PARTS] = {&b};
        CHECK(field_read(tab, N, FIELD_USE_ROW, out, (enum field_form)form, o, err) == 0);
        CHECK(b.n == 5 && b.u == 4096 && b.big == 1ull << 40 && b.on && b.x == 2.5);
        CHECK_STR(b.s, "");
        CHECK(b.mode == 2 && b.fa == -1 && b.ts[0] == 3 && b.ts[1] == 1 && b.ts[2] == 0);
        cJSON_Delete(o);
    }
}

static void bad(const char *json, const char *want)
{
    char err[QB_ERR_LEN] = "";
    struct rec b;
    void *out[FIELD_N_PARTS] = {&b};
    cJSON *o = cJSON_Parse(json);
    CHECK(o != NULL);
    CHECK(field_read(tab, N, FIELD_USE_ROW, out, FIELD_FORM_ROW, o, err) < 0);
    CHECK_STR(err, want);
    cJSON_Delete(o);
}

void test_field_strict(void)
{
    const char *ok = "\"u\":1,\"big\":1,\"on\":false,\"x\":0,\"s\":\"a\",\"mode\":\"none\","
                     "\"fa\":1,\"ts\":\"0\"}";
    char buf[512];
    snprintf(buf, sizeof(buf), "{%s", ok);
    bad(buf, "protocol: field 'n' is missing or not an integer");
    snprintf(buf, sizeof(buf), "{\"n\":101,%s", ok);
    bad(buf, "protocol: field 'n' out of range");
    snprintf(buf, sizeof(buf), "{\"n\":\"1\",%s", ok);
    bad(buf, "protocol: field 'n' is missing or not an integer");
    bad("{\"n\":1,\"u\":0}", "protocol: field 'u' out of range");
    bad("{\"n\":1,\"u\":1,\"big\":1,\"on\":1}", "protocol: field 'on' is missing or not a boolean");
    bad("{\"n\":1,\"u\":1,\"big\":1,\"on\":true,\"x\":11}",
        "protocol: field 'x' is missing or out of range");
    bad("{\"n\":1,\"u\":1,\"big\":1,\"on\":true,\"x\":1,\"s\":\"too long!\"}",
        "protocol: field 's' is missing or too long");
    bad("{\"n\":1,\"u\":1,\"big\":1,\"on\":true,\"x\":1,\"s\":\"\",\"mode\":\"tensor\"}",
        "protocol: field 'mode' is missing or not a name it takes");
    bad("{\"n\":1,\"u\":1,\"big\":1,\"on\":true,\"x\":1,\"s\":\"\",\"mode\":\"row\",\"fa\":2}",
        "protocol: field 'fa' out of range");
    bad("{\"n\":1,\"u\":1,\"big\":1,\"on\":true,\"x\":1,\"s\":\"\",\"mode\":\"row\",\"fa\":0,"
        "\"ts\":\"1/-1\"}",
        "protocol: field 'ts' is missing or not proportions like 3/1");
}

static void flag(const char *a, const char *v, const char *want)
{
    char err[QB_ERR_LEN] = "";
    struct rec r;
    void *parts[FIELD_N_PARTS] = {&r};
    const struct field *f = field_by_flag(tab, N, FIELD_USE_FLAG, a);
    CHECK(f != NULL);
    if (!f)
        return;
    CHECK(field_parse_flag(f, a, v, parts, err) < 0);
    CHECK_STR(err, want);
}

void test_field_flags(void)
{
    char err[QB_ERR_LEN];
    struct rec r;
    memset(&r, 0, sizeof(r));
    void *parts[FIELD_N_PARTS] = {&r};
    CHECK(field_by_flag(tab, N, FIELD_USE_FLAG, "--big") == NULL); /* not a flag */
    CHECK(field_by_flag(tab, N, FIELD_USE_FLAG, "-x") == NULL);
    CHECK(field_parse_flag(field_by_flag(tab, N, FIELD_USE_FLAG, "--u-size"), "--u-size", "77",
                           parts, err) == 0 &&
          r.u == 77);
    CHECK(field_parse_flag(&tab[6], "-sm", "none", parts, err) == 0 && r.mode == 0);
    CHECK(field_parse_flag(&tab[7], "-fa", "on", parts, err) == 0 && r.fa == 1);
    CHECK(field_parse_flag(&tab[5], "-s", "abc", parts, err) == 0);
    CHECK_STR(r.s, "abc");
    CHECK(field_parse_flag(&tab[5], "-s", "none", parts, err) == 0);
    CHECK_STR(r.s, "");
    CHECK(field_parse_flag(&tab[8], "-ts", "0.5/0.25", parts, err) == 0 && r.ts[1] == 0.25f);
    CHECK(field_parse_flag(&tab[3], "-on", "1", parts, err) == 0 && r.on);
    flag("-u", "x", "invalid value 'x' for -u (expected an integer in 1..16777216)");
    flag("-u", "16777217", "invalid value '16777217' for -u (expected an integer in 1..16777216)");
    flag("-n", "-2", "invalid value '-2' for -n (expected an integer in -1..100)");
    flag("-on", "2", "invalid value '2' for -on (expected an integer in 0..1)");
    flag("--split-mode", "tensor", "invalid value 'tensor' for --split-mode");
    flag("-fa", "2", "invalid value '2' for -fa");
    flag("-s", "12345678", "value for -s is too long");
    flag("-ts", "1/x", "invalid value '1/x' for -ts (expected proportions like 3/1, at most 4)");
    flag("-ts", "1/1/1/1/1",
         "invalid value '1/1/1/1/1' for -ts (expected proportions like 3/1, at most 4)");
}

void test_field_help(void)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *fp = open_memstream(&buf, &n);
    field_help(tab, 2, FIELD_USE_FLAG, fp);
    fclose(fp);
    CHECK_STR(buf, "  -n, --n-things N            things [1]\n"
                   "  -u, --u-size N              context size in tokens [4096]\n");
    free(buf);
}

/* the defaults help shows are the engine's, and every flag of the tables parses its own */
void test_fields_defaults(void)
{
    char err[QB_ERR_LEN];
    struct engine_model_params mp = engine_model_params_default(), mp2;
    struct engine_ctx_params cp = engine_ctx_params_default(), cp2;
    memcpy(&mp2, &mp, sizeof(mp));
    memcpy(&cp2, &cp, sizeof(cp));
    void *parts[FIELD_N_PARTS] = {&mp2, &cp2};
    const void *def[FIELD_N_PARTS] = {&mp, &cp};
    for (size_t i = 0; i < fields_n_settings; i++) {
        const struct field *f = &fields_settings[i];
        if (!strcmp(f->key, "n_threads")) /* the number of online CPUs */
            continue;
        char *got = (char *)parts[f->part] + f->off;
        const char *want = (const char *)def[f->part] + f->off;
        memset(got, 0x5a, f->size);
        CHECK(field_parse_flag(f, f->lflag ? f->lflag : f->key, f->def, parts, err) == 0);
        if (f->type == FIELD_STR ? strcmp(got, want) != 0 : memcmp(got, want, f->size) != 0)
            fprintf(stderr, "  default of '%s' is not '%s'\n", f->key, f->def), test_failures++;
        CHECK(f->key && f->help && f->def && f->metavar && f->size);
        CHECK(!(f->use & FIELD_USE_FLAG) || f->lflag);
    }
    /* the wire form gives every load and context setting back */
    mp.n_gpu_layers = 7;
    mp.split_mode = ENGINE_SPLIT_ROW;
    mp.tensor_split[2] = 0.125f;
    snprintf(mp.devices, sizeof(mp.devices), "none");
    cp.kv_unified = true;
    cp.n_ctx = 3u << 24;
    cJSON *o = cJSON_CreateObject();
    field_write(fields_settings, fields_n_settings, FIELD_USE_WIRE, def, FIELD_FORM_WIRE, o);
    memset(&mp2, 0, sizeof(mp2));
    memset(&cp2, 0, sizeof(cp2));
    CHECK(field_read(fields_settings, fields_n_settings, FIELD_USE_WIRE, parts, FIELD_FORM_WIRE, o,
                     err) == 0);
    CHECK(mp2.n_gpu_layers == 7 && mp2.split_mode == ENGINE_SPLIT_ROW);
    CHECK(mp2.tensor_split[2] == 0.125f && cp2.kv_unified && cp2.n_ctx == 3u << 24);
    CHECK_STR(mp2.devices, "none");
    CHECK_STR(cp2.type_k, "f16");
    cJSON_Delete(o);
}

/* the store's settings: their place kept, the table's flags and long names as filter keys */
void test_fields_store(void)
{
    CHECK_STR(store_setting_field("ctx-size"), "n_ctx");
    CHECK_STR(store_setting_field("c"), "n_ctx");
    CHECK_STR(store_setting_field("ngl"), "n_gpu_layers");
    CHECK_STR(store_setting_field("sm"), "split_mode");
    CHECK_STR(store_setting_field("device"), "devices");
    CHECK_STR(store_setting_field("override_tensor"), "tensor_buft_overrides");
    CHECK_STR(store_setting_field("mmap"), "use_mmap");
    CHECK_STR(store_setting_field("lm"), "load_mode");
    CHECK(store_setting_field("no_alloc") == NULL); /* the protocol's alone */
    const struct store_setting *s = store_settings();
    size_t n = 0, i_ctx = 0, i_kvu = 0, i_load = 0;
    for (; s[n].field; n++) {
        i_ctx = strcmp(s[n].field, "n_ctx") ? i_ctx : n;
        i_kvu = strcmp(s[n].field, "kv_unified") ? i_kvu : n;
        i_load = strcmp(s[n].field, "endpoint") ? i_load : n;
    }
    /* load's settings come after the others: rows stored before keep their settings text */
    CHECK(n == 48 && i_ctx == 9 && i_kvu == 35 && i_load == 36);
}

/* a load or run request missing a setting is refused, naming it: never read as 0 */
void test_fields_proto_strict(void)
{
    char err[QB_ERR_LEN] = "";
    struct engine_model_params mp = engine_model_params_default(), mp2;
    struct work_load wl = {0, 0}, wl2;
    const char *model;
    const char *keys[] = {"n_gpu_layers", "split_mode", "tensor_split",
                          "devices",      "use_mmap",   "tensor_buft_overrides",
                          "n_cpu_moe",    "no_alloc",   "main_gpu"};
    for (size_t i = 0; i < QB_ARRAY_LEN(keys); i++) {
        cJSON *req = proto_load_req("m.gguf", &mp, &wl);
        CHECK(proto_parse_load(req, &model, &mp2, &wl2, err) == 0);
        cJSON_DeleteItemFromObjectCaseSensitive(req, keys[i]);
        CHECK(proto_parse_load(req, &model, &mp2, &wl2, err) < 0);
        CHECK(strstr(err, keys[i]) != NULL);
        cJSON_Delete(req);
    }
    struct work_test t, t2;
    memset(&t, 0, sizeof(t));
    t.cp = engine_ctx_params_default();
    t.pt.reps = 1;
    cJSON *req = proto_run_req(&t);
    CHECK(proto_parse_run(req, &t2, err) == 0);
    cJSON_DeleteItemFromObjectCaseSensitive(req, "kv_unified");
    CHECK(proto_parse_run(req, &t2, err) < 0);
    CHECK_STR(err, "protocol: field 'kv_unified' is missing or not a boolean");
    cJSON_Delete(req);
}

/* the prompts table's flags: a repeated string list, a borrowed text, ranges */
void test_field_prompts_flags(void)
{
    char err[QB_ERR_LEN];
    struct work_test t;
    memset(&t, 0, sizeof(t));
    void *parts[FIELD_N_PARTS] = {NULL, NULL, &t};
    const struct field *stop =
        field_by_flag(fields_prompts.t, fields_prompts.n, FIELD_USE_FLAG, "--stop");
    const struct field *sys =
        field_by_flag(fields_prompts.t, fields_prompts.n, FIELD_USE_FLAG, "--system");
    CHECK(stop && sys);
    CHECK(field_by_flag(fields_prompts.t, fields_prompts.n, FIELD_USE_FLAG, "--prompt") == NULL);
    if (!stop || !sys)
        return;
    const char *v[] = {"A", "\n\n", "</s>", "END"};
    for (int i = 0; i < 4; i++)
        CHECK(field_parse_flag(stop, "--stop", v[i], parts, err) == 0);
    for (int i = 0; i < 4; i++)
        CHECK_STR(t.gen.stop[i], v[i]);
    CHECK(field_parse_flag(stop, "--stop", "more", parts, err) < 0);
    CHECK_STR(err, "--stop given more than 4 times");
    memset(t.gen.stop, 0, sizeof(t.gen.stop));
    CHECK(field_parse_flag(stop, "--stop", "", parts, err) < 0);
    CHECK_STR(err, "invalid value '' for --stop (expected a non-empty string)");
    char big[80];
    memset(big, 'x', 64);
    big[64] = '\0';
    CHECK(field_parse_flag(stop, "--stop", big, parts, err) < 0);
    CHECK_STR(err, "value for --stop is longer than 63 bytes");
    big[63] = '\0';
    CHECK(field_parse_flag(stop, "--stop", big, parts, err) == 0);
    const char *text = "Be brief.";
    CHECK(field_parse_flag(sys, "--system", text, parts, err) == 0 && t.system == text);
    const struct field *temp =
        field_by_flag(fields_prompts.t, fields_prompts.n, FIELD_USE_FLAG, "--temp");
    CHECK(temp && field_parse_flag(temp, "--temp", "-1", parts, err) < 0);
    CHECK_STR(err, "invalid value '-1' for --temp (expected a number in 0..100)");
    /* the table's help lines */
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    field_help(fields_prompts.t, fields_prompts.n, FIELD_USE_FLAG, fp);
    fclose(fp);
    CHECK(strstr(buf, "  --max-tokens N") != NULL && strstr(buf, "[256]") != NULL);
    CHECK(strstr(buf, "  --stop S") != NULL && strstr(buf, "seed") == NULL);
    free(buf);
}
