#include "memsum.h"

#include <string.h>

static double num(const cJSON *o, const char *k)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(it) ? it->valuedouble : 0;
}

/* A buffer in host memory: the engine says so, or (rows stored before it classified
 * CPU_REPACK by its device) the buffer sits on the CPU device */
static bool buf_host(const cJSON *b)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(b, "dev");
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "host")) ||
           (cJSON_IsString(d) && !strcmp(d->valuestring, "CPU"));
}

void mem_summary_from(const cJSON *mem, struct mem_summary *s)
{
    memset(s, 0, sizeof(*s));
    if (!cJSON_IsObject(mem))
        return;
    s->have = true;
    s->exact = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(mem, "exact"));
    const cJSON *b;
    cJSON_ArrayForEach (b, cJSON_GetObjectItemCaseSensitive(mem, "buffers")) {
        uint64_t w = (uint64_t)num(b, "model"), kv = (uint64_t)num(b, "context"),
                 c = (uint64_t)num(b, "compute"), o = (uint64_t)num(b, "output");
        s->weights += w;
        s->kv += kv;
        s->compute += c;
        s->output += o;
        if (buf_host(b))
            s->host += w + kv + c + o;
        else
            s->gpu += w + kv + c + o;
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(b, "buft");
        if (cJSON_IsString(n) && !strcmp(n->valuestring, "CPU_Mapped") && w)
            s->mmap = true;
    }
    s->rss = (uint64_t)num(mem, "rss");
    s->rss_peak = (uint64_t)num(mem, "rss_peak");
}

void mem_summary_add(cJSON *row, const struct mem_summary *s, const cJSON *mem)
{
    cJSON_AddNumberToObject(row, "mem_weights_bytes", (double)s->weights);
    cJSON_AddNumberToObject(row, "mem_kv_bytes", (double)s->kv);
    cJSON_AddNumberToObject(row, "mem_compute_bytes", (double)s->compute);
    cJSON_AddNumberToObject(row, "mem_output_bytes", (double)s->output);
    cJSON_AddNumberToObject(row, "mem_host_bytes", (double)s->host);
    cJSON_AddNumberToObject(row, "mem_gpu_bytes", (double)s->gpu);
    cJSON_AddNumberToObject(row, "rss_bytes", (double)s->rss);
    cJSON_AddNumberToObject(row, "rss_peak_bytes", (double)s->rss_peak);
    cJSON_AddBoolToObject(row, "mmap", s->mmap);
    cJSON_AddBoolToObject(row, "mem_exact", s->exact);
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(mem, "buffers");
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(mem, "devices");
    cJSON_AddItemToObject(row, "mem_buffers", b ? cJSON_Duplicate(b, 1) : cJSON_CreateArray());
    cJSON_AddItemToObject(row, "mem_devices", d ? cJSON_Duplicate(d, 1) : cJSON_CreateArray());
}

void mem_summary_fix_row(cJSON *row)
{
    cJSON *bufs = cJSON_GetObjectItemCaseSensitive(row, "mem_buffers");
    if (!cJSON_IsArray(bufs) || !cJSON_HasObjectItem(row, "mem_gpu_bytes") ||
        !cJSON_HasObjectItem(row, "mem_host_bytes"))
        return;
    cJSON *b;
    cJSON_ArrayForEach (b, bufs)
        if (cJSON_IsObject(b) && buf_host(b)) {
            if (cJSON_HasObjectItem(b, "host"))
                cJSON_ReplaceItemInObjectCaseSensitive(b, "host", cJSON_CreateTrue());
            else
                cJSON_AddBoolToObject(b, "host", true);
        }
    /* mem_summary_from reads a worker's mem object: lend it the row's buffers */
    cJSON *mem = cJSON_CreateObject();
    cJSON_AddItemReferenceToObject(mem, "buffers", bufs);
    struct mem_summary s;
    mem_summary_from(mem, &s);
    cJSON_Delete(mem);
    cJSON_ReplaceItemInObjectCaseSensitive(row, "mem_host_bytes",
                                           cJSON_CreateNumber((double)s.host));
    cJSON_ReplaceItemInObjectCaseSensitive(row, "mem_gpu_bytes", cJSON_CreateNumber((double)s.gpu));
}
