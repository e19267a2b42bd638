/*
 * fuzz_config.c - libFuzzer target for the configuration parser
 * (core/config.c), the JSON locator (core/json_locate.c) and the params
 * validation (core/params.c). Built and run by tests/fuzz/run.sh.
 *
 * The input, NUL-terminated, is parsed with tpool_config_load_text and set as
 * the params of a fresh config with tpool_config_set_params; whatever parses
 * is then located key by key and validated against a made-up policy table
 * with one parameter of every type. The first line of the input (up to 63
 * bytes) also serves as a locator path, so path parsing is fuzzed as well.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "json_locate.h"
#include "tpool-policy.h"
#include "tpool.h"

static const char *const choices[] = { "lifo", "fifo", "random", NULL };

static const tpool_param_desc descs[] = {
    { .name = "chunk", .type = TPOOL_PARAM_INT, .imin = 0, .imax = 1 << 20, .idefault = 1 },
    { .name = "tile", .type = TPOOL_PARAM_INT, .imin = -5, .imax = 5, .idefault = 0 },
    { .name = "steal", .type = TPOOL_PARAM_BOOL, .imin = 0, .imax = 1, .idefault = 1 },
    { .name = "ratio", .type = TPOOL_PARAM_DOUBLE, .dmin = 0.0, .dmax = 1.0, .ddefault = 0.5 },
    { .name = "order", .type = TPOOL_PARAM_ENUM, .choices = choices, .edefault = 1 },
};

static const tpool_policy fake = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = sizeof(tpool_policy),
    .name = "fuzz",
    .params = descs,
    .nparams = sizeof descs / sizeof descs[0],
};

static const tpool_policy noparams = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = sizeof(tpool_policy),
    .name = "none",
};

static volatile int sink;

static void locate_both(const char *text, const char *path)
{
    int line = 0, col = 0;
    sink += tpool__json_locate(text, path, &line, &col) + line + col;
    sink += tpool__json_locate_key(text, path, &line, &col) + line + col;
}

/* Locates every key of object `o` under `parent`, recursing one level into
 * objects and arrays, the way error messages name them. */
static void locate_members(const char *text, const json_t *o, const char *parent, int depth)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        char *p = tpool__json_path_key(parent, k);
        if (!p)
            continue;
        locate_both(text, p);
        char shown[64];
        tpool__json_render(v, shown, sizeof shown);
        if (depth < 2 && json_is_object(v))
            locate_members(text, v, p, depth + 1);
        if (json_is_array(v) && strlen(p) < 200) {
            char ip[256];
            for (size_t i = 0; i < json_array_size(v) && i < 4; i++) {
                snprintf(ip, sizeof ip, "%s[%zu]", p, i);
                locate_both(text, ip);
            }
        }
        free(p);
    }
}

static void resolve(const tpool_config *cfg)
{
    tpool_param_value out[sizeof descs / sizeof descs[0]];
    tpool_error err;
    memset(&err, 0, sizeof err);
    sink += tpool__params_resolve(cfg, &fake, out, &err);
    memset(&err, 0, sizeof err);
    sink += tpool__params_resolve(cfg, &noparams, NULL, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    /* A path from the first line. */
    char path[64];
    size_t pl = 0;
    while (pl < size && pl < sizeof path - 1 && text[pl] != '\n' && text[pl] != '\0')
        pl++;
    memcpy(path, text, pl);
    path[pl] = '\0';

    static const char *const paths[] = {
        "", "threads", "policy", "params", "params.chunk", "params.tile",
        "policy_path", "policy_path[0]", "policy_path[1]", "spin_us",
        "min_work_size", "a.b[0][2]", "params\\.x", "[0]", "x[", "\\",
    };

    tpool_config *cfg = NULL;
    tpool_error err;
    memset(&err, 0, sizeof err);
    if (tpool_config_load_text(text, "<fuzz>", &cfg, &err) == 0 && cfg) {
        for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
            locate_both(text, paths[i]);
        locate_both(text, path);
        json_t *root = json_loads(text, JSON_DECODE_ANY, NULL);
        if (root) {
            if (json_is_object(root))
                locate_members(text, root, NULL, 0);
            json_decref(root);
        }
        resolve(cfg);
        tpool_config *copy = NULL;
        if (tpool_config_copy(cfg, &copy) == 0)
            tpool_config_free(copy);
        tpool_config_free(cfg);
    }

    tpool_config *pc = NULL;
    if (tpool_config_new(&pc) == 0 && pc) {
        memset(&err, 0, sizeof err);
        if (tpool_config_set_params(pc, text, &err) == 0) {
            locate_both(text, path);
            resolve(pc);
        }
        tpool_config_set_params(pc, NULL, &err);
        tpool_config_free(pc);
    }
    free(text);
    return 0;
}
