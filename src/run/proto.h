/* The JSON-lines protocol between the parent and a worker process. One JSON
 * object per line. Parent -> worker: {"op":"load",...}, {"op":"run",...},
 * {"op":"quit"}. Worker -> parent: {"ev":"loaded",...}, {"ev":"result",...},
 * {"ev":"error","msg":...}. This file converts our structs to and from those
 * objects; it does no I/O. */
#ifndef QB_PROTO_H
#define QB_PROTO_H

#include <cjson/cJSON.h>

#include "../engine/engine.h"
#include "../record/params.h"
#include "quantize.h"

/* Returned cJSON objects are the caller's (cJSON_Delete). */
cJSON *proto_load_req(const char *model, const struct engine_model_params *mp,
                      const struct work_load *wl);
cJSON *proto_run_req(const struct work_test *t);

/* Parse requests; 0 ok, -1 with err. model, and a prompts test's system and prompt, are
 * borrowed from req. */
int proto_parse_load(const cJSON *req, const char **model, struct engine_model_params *mp,
                     struct work_load *wl, char *err);
int proto_parse_run(const cJSON *req, struct work_test *t, char *err);

/* A "loaded" answer's model and build objects, strictly (every field required); -1 with
 * err naming the first missing one */
int proto_parse_model(const cJSON *m, struct engine_model_info *mi, char *err);
int proto_parse_build(const cJSON *b, struct engine_build_info *bi, char *err);

/* A quantize request; parsed strictly (strings borrowed from req), -1 with err */
cJSON *proto_quantize_req(const struct quantize_params *qp);
int proto_parse_quantize(const cJSON *req, struct quantize_params *qp, char *err);

/* Results: add a measurement's result to a worker's "result" object, and read it back
 * strictly (a missing or malformed field is an error naming it; the caller releases r
 * with the measurement's _release, after an error too). */
void proto_add_sweep(cJSON *o, const struct sweep_result *r);
int proto_parse_sweep(const cJSON *o, struct sweep_result *r, char *err);
void proto_add_batched(cJSON *o, const struct batched_result *r);
int proto_parse_batched(const cJSON *o, struct batched_result *r, char *err);

#endif
