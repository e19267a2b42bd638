/*
 * params.h - parameter tables (tpool_param_desc) and the "params" objects
 * checked against them, for every kind of module that declares parameters:
 * policies (loader.c, pool creation) and tpool-bench's workloads.
 */
#ifndef TPOOL_CORE_PARAMS_H
#define TPOOL_CORE_PARAMS_H

#include <jansson.h>

#include "tpool-policy.h"
#include "tpool.h"

/* Where a "params" object came from: for its checks and their messages. */
typedef struct tpool__params_src {
    const json_t *params; /* the object, or NULL: every default */
    const char *text;     /* the JSON text it was read from, or NULL */
    const char *source;   /* the file (or "<text>") messages name */
    const char *path;     /* key path of the object in `text`; NULL when the
                             text is the object alone */
    const char *key;      /* what messages call the object: "params",
                             "workloads[2].params" */
    const char *owner;    /* "policy", "workload" */
    const char *name;     /* the owner's name */
} tpool__params_src;

/*
 * Validates src->params against the n entries of `params` and writes one
 * value per entry into out[] (the default where a key is not given). An
 * unknown key, a value of the wrong type or out of range, or an unknown
 * choice is TPOOL_EINVAL naming KEY.NAME, with the line and column in
 * src->text when there is one, and the accepted names (with a suggestion)
 * for an unknown key. The first bad member in text order is reported.
 */
int tpool__params_check(const tpool__params_src *src, const tpool_param_desc *params,
                        unsigned n, tpool_param_value *out, tpool_error *err);

/*
 * Checks a module's parameter table before anything reads it by the count:
 * at most `max` entries (`max_name` names the limit in the message), each
 * named and named once, of a known type, with a default within its range
 * and an enum with choices; a string parameter only with `strings` set
 * (tpool-bench's workloads; policies take none). `anchor` is an address in
 * the module's .so, or NULL for a module linked into the program: a .so's
 * table must lie in the .so. Errors are TPOOL_EPOLICY with key `owner` and
 * source `file`, worded "OWNER 'FILE': ...".
 */
int tpool__params_check_table(const char *owner, const char *file,
                              const tpool_param_desc *params, unsigned n, unsigned max,
                              const char *max_name, int strings, const void *anchor,
                              tpool_error *err);
/* The default value of parameter d (a string points into d's table). */
void tpool__param_default(const tpool_param_desc *d, tpool_param_value *out);

/* The table as a JSON array of {name, description, type, default, min,
 * max, choices} (tpool-info --policies' form); NULL when out of memory. */
json_t *tpool__params_table_json(const tpool_param_desc *params, unsigned n);

#endif
