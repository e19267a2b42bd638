/*
 * replay.c - the "replay" workload: a recorded program (TPOOL_RECORD)
 * re-created by the replay engine (harness/replay.h) on each executor.
 * The record is the file TPOOL_BENCH_RECORD names, which `tpool-bench
 * replay FILE` and `tpool-bench advise FILE` set (an absolute path, so
 * that the processes of --runs read the same file); an experiment that
 * lists "replay" runs whatever record that variable names.
 *
 * It is built in but not in the registry (harness/tpool-bench.mk), so no
 * default experiment runs it: bench_workload_find knows it by name. Being
 * built in, it is always run by the harness, so ex->impl is the harness's
 * bench_exec (bench.h), which the replay engine needs: it calls tpool's
 * and pthreadpool's own APIs with the recorded priorities, flags, groups
 * and preferred workers, which the services cannot express. It runs on the
 * executors with parallel-fors (uses: ranges); a record with tasks only
 * serially and under tpool policies (tpool-bench replay refuses the other
 * baselines for one).
 */
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "replay.h"

static const tpool_param_desc params[] = {
    TPOOL_BENCH_PARAM_DOUBLE("scale", "multiplies every recorded time (gaps, tiles, tasks)",
                             1e-3, 1e3, 1),
    TPOOL_BENCH_PARAM_INT("incomplete",
                          "1: replay a record that has no end (crash, _exit) up to its last "
                          "flush",
                          0, 1, 0),
};

typedef struct replay_wl {
    bench_record *rec;
    bench_replay *s;
} replay_wl;

static int setup(const tpool_bench_env *env, void **state)
{
    char *err = env->errbuf;
    size_t errsize = env->errbuf_size;
    const char *path = getenv("TPOOL_BENCH_RECORD");
    if (!path || !*path) {
        snprintf(err, errsize, "the replay workload replays the record that "
                               "TPOOL_BENCH_RECORD names, and it is not set (tpool-bench "
                               "replay FILE sets it)");
        return -1;
    }
    replay_wl *w = calloc(1, sizeof *w);
    bench_perror pe;
    if (!w) {
        snprintf(err, errsize, "out of memory");
        return -1;
    }
    if (bench_record_load(path, env->params[1].i != 0 ? BENCH_RECORD_INCOMPLETE : 0, &w->rec, &pe) != 0) {
        snprintf(err, errsize, "%s", pe.text);
        free(w);
        return -1;
    }
    w->s = bench_replay_new(w->rec, env->params[0].d);
    if (!w->s) {
        bench_record_free(w->rec);
        free(w);
        snprintf(err, errsize, "out of memory");
        return -1;
    }
    *state = w;
    return 0;
}

static int run(void *state, const tpool_bench_exec *ex)
{
    return bench_replay_run(((replay_wl *)state)->s, ex->impl);
}

static int check(void *state, const tpool_bench_exec *ex, char *msg, size_t n)
{
    (void)ex;
    return bench_replay_check(((replay_wl *)state)->s, msg, n);
}

/* Nothing of a replay's own to corrupt but the count of what ran. */
static void plant(void *state)
{
    (void)state;
    bench_rec_items(bench_rec_slot(), 0, 1, 0);
}

static uint64_t items(void *state, const tpool_bench_exec *ex)
{
    (void)ex;
    return ((replay_wl *)state)->rec->items;
}

static void teardown(void *state)
{
    replay_wl *w = state;
    if (!w)
        return;
    bench_replay_free(w->s);
    bench_record_free(w->rec);
    free(w);
}

const tpool_bench_workload bench_wl_replay = {
    TPOOL_BENCH_WORKLOAD_HEADER,
    .name = "replay",
    .description = "a recorded program (TPOOL_RECORD), replayed with calibrated bodies",
    .unit = "tiles and tasks",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .uses = TPOOL_BENCH_USES_RANGE,
    .size_param = "scale",
    .setup = setup,
    .run = run,
    .teardown = teardown,
    .check = check,
    .items = items,
    .plant = plant,
};
