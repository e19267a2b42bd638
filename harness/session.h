/*
 * session.h - the two halves of a measurement, between runner.c and
 * runs.c (private to the harness).
 *
 * bench_plan turns an experiment into the cells of a report without running
 * anything. A session then measures those cells in one process: it creates
 * the workloads' data and the pools, and runs rounds on request, each round
 * every unfinished cell once in a shuffled order, applying the stopping
 * rule per cell. runs.c decides when rounds run: in this process, or in
 * several child processes that take turns round by round (--runs).
 *
 * A session fills run slot 0 of its report's cells (run_rounds[0],
 * run_stop[0]); runs.c merges the children's reports into run slots
 * 0..runs-1 of the parent's.
 */
#ifndef TPOOL_BENCH_SESSION_H
#define TPOOL_BENCH_SESSION_H

#include "bench.h"

/* Plans exp into r: the policies found, the executors, the thread counts,
 * the cells and the resolved experiment. With `collect_meta`, also the
 * metadata (git, packages: a few subprocesses). 0, or -1 with the reason on
 * stderr. */
int bench_plan(const bench_experiment *exp, bench_report *r, int collect_meta, int argc,
               char **argv);

typedef struct bench_session bench_session;

/* Called before each cell's run (progress). */
typedef void (*bench_cell_hook)(void *ud, const bench_report *r, size_t cell, int warmup);

/*
 * Opens a session on the planned report r: calibrates the spin loop, sets
 * up every workload and creates the pools. `run` seeds the round order (each
 * run shuffles differently). `trace` is the trace file to write in
 * bench_session_final (NULL: none). Returns NULL with the reason on stderr.
 */
bench_session *bench_session_open(bench_report *r, unsigned run, const char *trace,
                                  unsigned trace_cap, bench_cell_hook hook, void *ud);
/* The warm-up rounds (not measured). 0, or -1 when a stop was requested. */
int bench_session_warmup(bench_session *s);
/* One measured round over the unfinished cells. Returns the number of cells
 * still unfinished, or -1 when a stop was requested (the round is cut after
 * the cell in progress). */
int bench_session_round(bench_session *s);
/* Ends every unfinished cell with `why` (enum bench_stop). */
void bench_session_stop(bench_session *s, int why);
/* Measured rounds run so far. */
unsigned bench_session_rounds(const bench_session *s);
/* The trace and idle-probe run of every cell that ran. 0, or -1 when a
 * stop was requested. */
int bench_session_final(bench_session *s);
/* Destroys the pools and the workloads' data; closes the trace (renamed
 * into place when complete). 0, or -1 when the trace could not be written. */
int bench_session_close(bench_session *s);

/* Adds the n per-worker statistics d to acc (a round's to a cell's, or a
 * run's to the merged cell's). */
void bench_wstats_add(bench_wstats *acc, const bench_wstats *d, unsigned n);

/* Room for `more` rounds in the per-round arrays of c. 0, or -1 when out
 * of memory. */
int bench_cell_reserve(bench_cell *c, unsigned more);

/* Writes r's resolved experiment to a new temporary file (its name in
 * path), for a child process to plan the same cells. 0, or -1 with errno. */
int bench_write_resolved(const bench_report *r, char *path, size_t size);

/* Child side of --runs: `tpool-bench __run IN_FD OUT_FD RUN EXPERIMENT
 * TRACE|- TRACE_CAP`, driven over the two pipes by runs.c. */
int bench_run_child(int argc, char **argv);

#endif
