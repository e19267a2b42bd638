/*
 * replay.c - the "replay" workload: a recorded program (TPOOL_RECORD)
 * re-created by the replay engine (harness/replay.h) on each executor.
 * The record is the file TPOOL_BENCH_RECORD names, which `tpool-bench
 * replay FILE` and `tpool-bench advise FILE` set (an absolute path, so
 * that the processes of --runs read the same file); an experiment that
 * lists "replay" runs whatever record that variable names.
 */
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "replay.h"

static const bench_param_spec params[] = {
    { "scale", "multiplies every recorded time (gaps, tiles, tasks)", 0, 1e-3, 1e3, 1 },
    { "incomplete", "1: replay a record that has no end (crash, _exit) up to its last flush",
      1, 0, 1, 0 },
};

typedef struct replay_wl {
    bench_record *rec;
    bench_replay *s;
} replay_wl;

static int setup(const double *p, uint64_t seed, void **state, char *err, size_t errsize)
{
    (void)seed;
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
    if (bench_record_load(path, p[1] != 0 ? BENCH_RECORD_INCOMPLETE : 0, &w->rec, &pe) != 0) {
        snprintf(err, errsize, "%s", pe.text);
        free(w);
        return -1;
    }
    w->s = bench_replay_new(w->rec, p[0]);
    if (!w->s) {
        bench_record_free(w->rec);
        free(w);
        snprintf(err, errsize, "out of memory");
        return -1;
    }
    *state = w;
    return 0;
}

static void prepare(void *state, const bench_exec *ex)
{
    (void)state;
    (void)ex;
}

static int run(void *state, const bench_exec *ex)
{
    return bench_replay_run(((replay_wl *)state)->s, ex);
}

static int check(void *state, const bench_exec *ex, char *msg, size_t n)
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

static uint64_t items(void *state, const bench_exec *ex)
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

const bench_workload bench_wl_replay = {
    .name = "replay",
    .description = "a recorded program (TPOOL_RECORD), replayed with calibrated bodies",
    .unit = "tiles and tasks",
    BENCH_WORKLOAD_PARAMS(params),
    .size_param = 0,
    .runs = BENCH_RUNS_SERIAL | BENCH_RUNS_TPOOL | BENCH_RUNS_PTP,
    BENCH_WORKLOAD_CALLBACKS,
};
