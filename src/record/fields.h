/* The field tables of quantbench's records. fields_settings: the settings of a model load
 * (struct engine_model_params, FIELD_PART_LOAD) and of a context (struct
 * engine_ctx_params, FIELD_PART_CTX), with llama-bench's names and flags; they drive the
 * worker protocol (run/proto.c), the flags and help of the one-configuration commands
 * (cli/single.c), their rows' settings (row_settings_json) and the settings the store
 * matches and filters rows on. Table order is the order of the fields in rows. A new
 * setting is a member of its struct and a row here. */
#ifndef QB_FIELDS_H
#define QB_FIELDS_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "../engine/engine.h"
#include "field.h"

extern const struct field fields_settings[];
extern const size_t fields_n_settings;

/* Add the settings every row of a one-configuration run (sweep, batched, quality, mem)
 * carries to row: the row fields of fields_settings from mp and cp, then reps and seed. */
void row_settings_json(const struct engine_model_params *mp, const struct engine_ctx_params *cp,
                       int reps, uint64_t seed, cJSON *row);

/* The parameters of a test (struct work_test, FIELD_PART_WORK) as the worker protocol
 * carries them: those of every test (fields_work) and those of each kind's measurement,
 * in an object of its own (sweep, batched, probe, ppl, prompts). */
struct field_table {
    const char *name; /* the protocol's object ("" for the test's own level) */
    const struct field *t;
    size_t n;
};
extern const struct field_table fields_work, fields_sweep, fields_batched, fields_probe, fields_ppl,
    fields_prompts;

#endif
