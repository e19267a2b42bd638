/*
 * mod_badparams.c - a policy whose parameter table (or stat_names) is
 * malformed in one of several ways, chosen by the environment variable
 * MOD_BADPARAMS (an index into `cases`, default 0), so that one module serves
 * the loader's table-driven test. The entry point reads it at every load
 * (tests only: this write to a shared descriptor is not thread-safe).
 */
#include <math.h>

#include "mod_common.h"

static const char *const ab[] = { "a", "b", NULL };
static const char *const none[] = { NULL };
static const char *const nine[] = { "s1", "s2", "s3", "s4", "s5", "s6", "s7",
                                    "s8", "s9", NULL };

static const tpool_param_desc p_noname[] = {
    { .name = NULL, .type = TPOOL_PARAM_INT, .imin = 0, .imax = 1 },
};
static const tpool_param_desc p_dup[] = {
    { .name = "x", .type = TPOOL_PARAM_INT, .imin = 0, .imax = 1 },
    { .name = "x", .type = TPOOL_PARAM_BOOL },
};
static const tpool_param_desc p_type[] = {
    { .name = "x", .type = (enum tpool_param_type)77 },
};
static const tpool_param_desc p_int[] = {
    { .name = "x", .type = TPOOL_PARAM_INT, .imin = 1, .imax = 10, .idefault = 11 },
};
static const tpool_param_desc p_bool[] = {
    { .name = "x", .type = TPOOL_PARAM_BOOL, .idefault = 2 },
};
static const tpool_param_desc p_double[] = {
    { .name = "x", .type = TPOOL_PARAM_DOUBLE, .dmin = 0.0, .dmax = 1.0, .ddefault = 1.5 },
};
static const tpool_param_desc p_nan[] = {
    { .name = "x", .type = TPOOL_PARAM_DOUBLE, .dmin = 0.0, .dmax = 1.0, .ddefault = NAN },
};
static const tpool_param_desc p_nochoices[] = {
    { .name = "x", .type = TPOOL_PARAM_ENUM, .choices = NULL },
};
static const tpool_param_desc p_emptychoices[] = {
    { .name = "x", .type = TPOOL_PARAM_ENUM, .choices = none },
};
static const tpool_param_desc p_enumdefault[] = {
    { .name = "x", .type = TPOOL_PARAM_ENUM, .choices = ab, .edefault = 2 },
};
static const tpool_param_desc p_int_minmax[] = {
    { .name = "x", .type = TPOOL_PARAM_INT, .imin = 10, .imax = 1, .idefault = 5 },
};
static const tpool_param_desc p_double_minmax[] = {
    { .name = "x", .type = TPOOL_PARAM_DOUBLE, .dmin = 1.0, .dmax = 0.0, .ddefault = 0.5 },
};
static const char *const one[] = { "s1", NULL };

/* Keep in step with the table in tests/check_loader.c. */
static const struct {
    const tpool_param_desc *params;
    unsigned nparams;
    const char *const *stat_names;
} cases[] = {
    { NULL, 1, NULL },           /* 0: nparams > 0, params NULL */
    { p_noname, 1, NULL },       /* 1 */
    { p_dup, 2, NULL },          /* 2 */
    { p_type, 1, NULL },         /* 3 */
    { p_int, 1, NULL },          /* 4 */
    { p_bool, 1, NULL },         /* 5 */
    { p_double, 1, NULL },       /* 6 */
    { p_nan, 1, NULL },          /* 7 */
    { p_nochoices, 1, NULL },    /* 8 */
    { p_emptychoices, 1, NULL }, /* 9 */
    { p_enumdefault, 1, NULL },  /* 10 */
    { NULL, 0, nine },           /* 11: nine statistics */
    { p_int_minmax, 1, NULL },   /* 12 */
    { p_double_minmax, 1, NULL },/* 13 */
    { NULL, 0, one },            /* 14: a statistic, no stats_read */
};

static tpool_policy badparams_policy = {
    .abi_version = TPOOL_POLICY_ABI_VERSION,
    .struct_size = sizeof(tpool_policy),
    .name = "mod_badparams",
    MOD_OPS,
};

TPOOL_POLICY_EXPORT const tpool_policy *TPOOL_POLICY_ENTRY(void);
const tpool_policy *TPOOL_POLICY_ENTRY(void)
{
    const char *s = getenv("MOD_BADPARAMS");
    unsigned i = s ? (unsigned)strtoul(s, NULL, 10) : 0;
    if (i >= sizeof cases / sizeof cases[0])
        i = 0;
    badparams_policy.params = cases[i].params;
    badparams_policy.nparams = cases[i].nparams;
    badparams_policy.stat_names = cases[i].stat_names;
    return &badparams_policy;
}
