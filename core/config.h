/* config.h - the parsed configuration shared by the config, loader and pool. */
#ifndef TPOOL_CORE_CONFIG_H
#define TPOOL_CORE_CONFIG_H

#include <jansson.h>
#include <pthread.h>

#include "tpool-policy.h"
#include "tpool.h"

struct tpool_config {
    unsigned threads;      /* 0 = tpool_default_threads(); elastic: the minimum */
    unsigned threads_max;  /* elastic pools: the maximum; 0 = a fixed pool */
    unsigned idle_ms;      /* elastic pools: idleness before a worker retires */
    char *policy;          /* a name, or a path when it contains '/'; never NULL */
    json_t *params;        /* the "params" object (owned), or NULL */
    char **policy_path;    /* directories from the config, absolute or made
                              relative to the config file's directory */
    size_t npolicy_path;
    unsigned spin_us;      /* spin budget before parking */
    unsigned stack_kb;     /* worker thread stack size in KiB; 0 = the
                              system's default (RLIMIT_STACK) */
    size_t min_work_size;  /* parallel-for ranges below this run inline */
    /* Recording (core/record.h): the record file, or NULL (TPOOL_RECORD,
     * read at pool creation, wins over it), and the recorder's bounds. */
    char *record_path;
    unsigned record_max_mb;      /* events kept, in MiB, before recording stops */
    unsigned record_full_calls;  /* parallel-fors whose tiles are all timed */
    unsigned record_every;       /* after those, one call in this many is timed */
    int record_cpu;              /* timed chunks also read the thread's CPU time */
    /* Where values came from, for error messages about params (which are
     * validated later, when the policy is loaded). */
    char *source;          /* file name or "<text>" */
    char *text;            /* the JSON text the config was parsed from, or NULL */
    /* Where the text's "policy" value is, for the loader's messages; 0 when
     * cfg->policy did not come from the text (default, env, setter). */
    int policy_line, policy_column;
};

/*
 * The source name of a configuration whose `text` is the params object alone
 * (tpool_config_set_params), so that tpool__params_resolve looks keys up at
 * the root of the text instead of under "params".
 */
#define TPOOL__PARAMS_SOURCE "<params>"

#define TPOOL_DEFAULT_POLICY "fifo"
#define TPOOL_DEFAULT_SPIN_US 200
#define TPOOL_DEFAULT_MIN_WORK_SIZE 1
#define TPOOL_DEFAULT_IDLE_MS 1000
#define TPOOL_DEFAULT_RECORD_MAX_MB 256
#define TPOOL_DEFAULT_RECORD_FULL_CALLS 2000
#define TPOOL_DEFAULT_RECORD_EVERY 16

/*
 * Validates cfg->params against the policy's parameter table and writes one
 * value per table entry into out[] (defaults for keys not given). Errors name
 * the key as "params.NAME" and, when the config came from JSON text, give its
 * line and column.
 */
int tpool__params_resolve(const tpool_config *cfg, const tpool_policy *pol,
                          tpool_param_value *out, tpool_error *err);

/*
 * One environment variable of tpool_config_apply_env at a time, with its
 * checks and messages: TPOOL_THREADS's and TPOOL_POLICY's `value` applied to
 * cfg, or an error (source "<env NAME>") leaving cfg as it was. The
 * pthreadpool drop-in uses them to tell which variable is wrong.
 */
int tpool__config_env_threads(tpool_config *cfg, const char *value, tpool_error *err);
int tpool__config_env_policy(tpool_config *cfg, const char *value, tpool_error *err);

/* TPOOL_RECORD's value applied to cfg (record.c, at pool creation): a file
 * name, or an object as the key "record" takes; an error (source "<env
 * TPOOL_RECORD>", naming the key) leaves cfg as it was. */
int tpool__config_env_record(tpool_config *cfg, const char *value, tpool_error *err);

/* An environment value quoted for a message ("\"x\\\"y\"", control
 * characters escaped, long values cut): into buf (at least 16 bytes), which
 * is returned. */
char *tpool__env_quote(const char *s, char *buf, size_t size);

/*
 * The attributes of a worker thread of a pool made from cfg: with a
 * stack_kb, initialises *attr with that stack size and returns attr (the
 * caller destroys it after pthread_create); otherwise returns NULL, for the
 * system's default. Returns NULL as well when attr cannot be set up, so a
 * thread is still started.
 */
pthread_attr_t *tpool__worker_attr(const tpool_config *cfg, pthread_attr_t *attr);

#endif
