/*
 * check_record.c - recording (core/record.c) and replaying
 * (harness/replay.h):
 *   - a program of known shape, recorded, reads back with that shape: its
 *     pools, its parallel-fors (function, range, tiles, flags, threads),
 *     every tile of every timed call exactly once, its tasks with their
 *     groups, priorities, cost hints and parents, its waits;
 *   - the same through the pthreadpool drop-in;
 *   - replaying it runs every tile and task exactly once, serially and on
 *     a pool, and a replay recorded in turn has the original's shape;
 *   - sampling, the size cap, a pool left alive at exit, the variable's
 *     object form, an unwritable file (a warning, never a failure);
 *   - broken and truncated records are refused with file:line:column;
 *   - a pool that is not recorded keeps its fast path;
 *   - threads write their buffers while another thread flushes (race-free
 *     under ThreadSanitizer).
 * Each recording runs in a child process (a process writes one record,
 * and its end line at exit), which this process then reads.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "pool.h"
#include "pthreadpool.h"
#include "replay.h"
#include "seats.h"
#include "testutil.h"

static char tmpdir[256];

static void tmp_setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/check_record.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void tmp_teardown(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

static const char *tmp(const char *name)
{
    static char buf[4][512];
    static int k;
    char *b = buf[k++ % 4];
    snprintf(b, 512, "%s/%s", tmpdir, name);
    return b;
}

/* Runs prog in a child process with TPOOL_RECORD=value, which exits
 * through exit() (the record's end line); stderr goes to err_path when
 * given. Returns the child's exit status. */
static int record_child(const char *value, void (*prog)(void *), void *arg, const char *err_path)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (err_path) {
            int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd < 0 || dup2(fd, 2) < 0)
                _exit(90);
        }
        if (value)
            setenv("TPOOL_RECORD", value, 1);
        else
            unsetenv("TPOOL_RECORD");
        prog(arg);
        exit(0);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st), "the recorded child died (signal %d)",
                  WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    return WEXITSTATUS(st);
}

static bench_record *load_ok(const char *path, unsigned flags)
{
    bench_record *r = NULL;
    bench_perror pe;
    ck_assert_msg(bench_record_load(path, flags, &r, &pe) == 0, "%s", pe.text);
    return r;
}

/* In a child: fails by exit status, which record_child's caller checks. */
#define CHILD_CHECK(cond)                                                           \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "%s:%d: %s failed\n", __FILE__, __LINE__, #cond);       \
            exit(3);                                                                \
        }                                                                           \
    } while (0)

static tpool *child_pool(const char *policy, unsigned threads)
{
    char json[256];
    snprintf(json, sizeof json, "{\"policy\": \"%s\", \"threads\": %u}", policy, threads);
    tpool *p = NULL;
    tpool_error err;
    tpool_error_clear(&err);
    if (tpool_create_from_text(json, &p, &err) != 0) {
        fprintf(stderr, "pool: %s\n", err.text);
        exit(4);
    }
    return p;
}

/* ---- the known program ------------------------------------------------------------------ */

static void spin_body(void *ctx, size_t b, size_t e, unsigned thread)
{
    (void)ctx;
    (void)thread;
    for (size_t i = b; i < e; i++)
        bench_spin(200, i);
}

static void nd_body(void *ctx, const size_t *start, const size_t *size, unsigned thread)
{
    (void)ctx;
    (void)start;
    (void)thread;
    bench_spin(100 * size[0] * size[1], 1);
}

typedef struct known {
    tpool *p;
    tpool_group *inner;
} known;

static void leaf(void *arg)
{
    (void)arg;
    bench_spin(5000, 2);
}

/* Task 0 of the outer group: submits two children into a group of its
 * own, runs a parallel-for (inline: nested), and waits for them. */
static void parent_task(void *arg)
{
    known *k = arg;
    tpool_group *g;
    CHILD_CHECK(tpool_group_create(k->p, &g) == 0);
    tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
    a.group = g;
    a.priority = 7;
    CHILD_CHECK(tpool_submit(k->p, leaf, NULL, &a) == 0);
    CHILD_CHECK(tpool_submit(k->p, leaf, NULL, &a) == 0);
    CHILD_CHECK(tpool_parallel_range(k->p, 10, spin_body, NULL, NULL) == 0);
    CHILD_CHECK(tpool_group_wait(g) == 0);
    tpool_group_destroy(g);
}

/* 3 ranges of 1000, one 2-d grid of 37 x 23 in tiles of 4 x 5 (50 tiles),
 * a group of 4 tasks (cost hints 10..13) the first of which submits 2
 * more with priority 7 and runs a nested range of 10, one task outside any
 * group, then wait_all. 5 calls, 7 tasks. */
static void known_prog(void *arg)
{
    const char *policy = arg;
    known k = { child_pool(policy, 2), NULL };
    for (int i = 0; i < 3; i++)
        CHILD_CHECK(tpool_parallel_range(k.p, 1000, spin_body, NULL, NULL) == 0);
    size_t range[2] = { 37, 23 }, tile[2] = { 4, 5 };
    CHILD_CHECK(tpool_parallel_nd(k.p, 2, range, tile, nd_body, NULL, NULL) == 0);
    tpool_group *g;
    CHILD_CHECK(tpool_group_create(k.p, &g) == 0);
    for (int i = 0; i < 4; i++) {
        tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
        a.group = g;
        a.cost_hint = 10 + (uint64_t)i;
        CHILD_CHECK(tpool_submit(k.p, i == 0 ? parent_task : leaf, &k, &a) == 0);
    }
    CHILD_CHECK(tpool_group_wait(g) == 0);
    tpool_group_destroy(g);
    CHILD_CHECK(tpool_submit(k.p, leaf, NULL, NULL) == 0);
    CHILD_CHECK(tpool_wait_all(k.p) == 0);
    CHILD_CHECK(tpool_destroy(k.p) == 0);
}

/* Every timed call's chunks cover [0, n) exactly once. */
static void assert_tiles_once(const bench_record *r)
{
    for (size_t i = 0; i < r->ncalls; i++) {
        const bench_rcall *c = &r->calls[i];
        if (!c->timed)
            continue;
        uint64_t at = 0;
        for (size_t k = 0; k < c->nseg; k++) {
            ck_assert_msg(c->seg_lo[k] == at, "call %llu: a gap or an overlap at tile %llu",
                          (unsigned long long)c->id, (unsigned long long)at);
            at += c->seg_n[k];
        }
        ck_assert_msg(at == c->n, "call %llu: chunks cover %llu of %llu tiles",
                      (unsigned long long)c->id, (unsigned long long)at,
                      (unsigned long long)c->n);
    }
}

static const bench_rtask *task_by_id(const bench_record *r, uint64_t id)
{
    for (size_t i = 0; i < r->ntasks; i++)
        if (r->tasks[i].id == id)
            return &r->tasks[i];
    return NULL;
}

/* The known program's shape, whatever the policy. */
static void assert_known_shape(const bench_record *r, const char *policy)
{
    ck_assert_uint_eq(r->npools, 1);
    ck_assert_str_eq(r->pools[0].policy, policy);
    ck_assert_uint_eq(r->pools[0].threads, 2);
    ck_assert(r->pools[0].ended);
    ck_assert(r->complete);
    ck_assert_uint_eq(r->ncalls, 5);
    unsigned ranges = 0, nested = 0, grids = 0;
    for (size_t i = 0; i < r->ncalls; i++) {
        const bench_rcall *c = &r->calls[i];
        ck_assert_uint_eq(c->threads, 2);
        ck_assert(c->timed); /* fewer calls than full_calls */
        if (strcmp(c->api, "tpool_parallel_nd") == 0) {
            grids++;
            ck_assert_uint_eq(c->ndim, 2);
            ck_assert_uint_eq(c->range[0], 37);
            ck_assert_uint_eq(c->range[1], 23);
            ck_assert_uint_eq(c->tile[0], 4);
            ck_assert_uint_eq(c->tile[1], 5);
            ck_assert_uint_eq(c->n, 50);
            ck_assert_uint_eq(c->work, 37 * 23);
            ck_assert_int_eq(c->in_kind, BENCH_IN_NONE);
        } else {
            ck_assert_str_eq(c->api, "tpool_parallel_range");
            ck_assert_uint_eq(c->ndim, 1);
            if (c->n == 10) {
                nested++;
                ck_assert_int_eq(c->in_kind, BENCH_IN_TASK);
            } else {
                ranges++;
                ck_assert_uint_eq(c->n, 1000);
                ck_assert_int_eq(c->in_kind, BENCH_IN_NONE);
            }
        }
    }
    ck_assert_uint_eq(ranges, 3);
    ck_assert_uint_eq(nested, 1);
    ck_assert_uint_eq(grids, 1);
    assert_tiles_once(r);

    ck_assert_uint_eq(r->ntasks, 7);
    ck_assert_uint_eq(r->ncancelled, 0);
    const bench_rtask *parent = NULL;
    unsigned children = 0, hinted = 0, ungrouped = 0;
    for (size_t i = 0; i < r->ntasks; i++) {
        const bench_rtask *t = &r->tasks[i];
        ck_assert_uint_le(t->t, t->t0);
        ck_assert_uint_le(t->t0, t->t1);
        if (t->cost == 10)
            parent = t;
        hinted += t->cost >= 10 && t->cost <= 13;
        ungrouped += t->group == 0;
    }
    ck_assert_ptr_nonnull(parent);
    ck_assert_int_eq(parent->in_kind, BENCH_IN_NONE);
    for (size_t i = 0; i < r->ntasks; i++) {
        const bench_rtask *t = &r->tasks[i];
        if (t->in_kind == BENCH_IN_TASK) {
            ck_assert_uint_eq(t->in_id, parent->id);
            ck_assert_int_eq(t->priority, 7);
            ck_assert_uint_ne(t->group, parent->group);
            children++;
        }
    }
    ck_assert_uint_eq(children, 2);
    ck_assert_uint_eq(hinted, 4);
    ck_assert_uint_eq(ungrouped, 1);
    /* the nested range ran inside the parent */
    for (size_t i = 0; i < r->ncalls; i++)
        if (r->calls[i].n == 10)
            ck_assert_ptr_eq(task_by_id(r, r->calls[i].in_id), parent);
    /* waits: outer group (wait + destroy), inner group (wait + destroy, in
     * the parent), wait_all, and the pool's end */
    unsigned in_parent = 0, all = 0, destroys = 0;
    for (size_t i = 0; i < r->nwaits; i++) {
        const bench_rwait *w = &r->waits[i];
        in_parent += w->in_kind == BENCH_IN_TASK && w->in_id == parent->id;
        all += w->group == 0;
        destroys += w->destroy == 1;
    }
    ck_assert_uint_eq(r->nwaits, 6);
    ck_assert_uint_eq(in_parent, 2);
    ck_assert_uint_eq(all, 2);
    ck_assert_uint_eq(destroys, 2);
    /* timelines: one outside thread; the parent's own holds 2 submits, the
     * nested call and its wait (the destroy's wait too) */
    ck_assert_uint_eq(r->noutside, 1);
    ck_assert_uint_eq(r->task_line[parent - r->tasks].nev, 5);
    ck_assert_uint_eq(r->items, 1000 * 3 + 50 + 10 + 7);
    ck_assert_uint_gt(bench_record_span(r), 0);
}

START_TEST(known_program_every_policy)
{
    const char *pol[16] = { NULL };
    int n = tu_policies(pol, 16);
    for (int i = 0; i < n; i++) {
        const char *path = tmp("known.jsonl");
        ck_assert_int_eq(record_child(path, known_prog, (void *)pol[i], NULL), 0);
        bench_record *r = load_ok(path, 0);
        assert_known_shape(r, pol[i]);
        bench_record_free(r);
    }
}
END_TEST

/* Replays r serially and on a pool of `policy`; every tile and task runs
 * once. */
static void replay_checked(const bench_record *r, const char *policy)
{
    bench_replay *s = bench_replay_new(r, 0.2);
    ck_assert_ptr_nonnull(s);
    char msg[256];
    bench_exec serial = { .kind = BENCH_EX_SERIAL, .threads = 1 };
    ck_assert_int_eq(bench_rec_reset(0, 0, 0), 0);
    ck_assert_int_eq(bench_replay_run(s, &serial), 0);
    ck_assert_msg(bench_replay_check(s, msg, sizeof msg) == 0, "serial: %s", msg);
    for (unsigned t = 1; t <= 3; t++) {
        tpool *p = tu_pool(policy, t, NULL);
        bench_exec ex = { .kind = BENCH_EX_TPOOL, .threads = t, .pool = p };
        ck_assert_int_eq(bench_rec_reset(0, 0, 0), 0);
        ck_assert_int_eq(bench_replay_run(s, &ex), 0);
        ck_assert_msg(bench_replay_check(s, msg, sizeof msg) == 0, "%s at %u: %s", policy, t,
                      msg);
        ck_assert_int_eq(tpool_destroy(p), 0);
    }
    /* A wrong count is caught. */
    ck_assert_int_eq(bench_rec_reset(0, 0, 0), 0);
    ck_assert_int_eq(bench_replay_run(s, &serial), 0);
    bench_rec_items(bench_rec_slot(), 0, 1, 0);
    ck_assert_int_ne(bench_replay_check(s, msg, sizeof msg), 0);
    bench_replay_free(s);
}

START_TEST(replay_runs_everything_once)
{
    const char *pol[16] = { NULL };
    int n = tu_policies(pol, 16);
    const char *path = tmp("known.jsonl");
    ck_assert_int_eq(record_child(path, known_prog, (void *)pol[0], NULL), 0);
    bench_record *r = load_ok(path, 0);
    for (int i = 0; i < n; i++)
        replay_checked(r, pol[i]);
    bench_record_free(r);
}
END_TEST

/* The replay of a record, recorded in turn. */
typedef struct rerecord {
    const char *from, *policy;
} rerecord;

static void replay_prog(void *arg)
{
    const rerecord *rr = arg;
    bench_record *r = NULL;
    bench_perror pe;
    CHILD_CHECK(bench_record_load(rr->from, 0, &r, &pe) == 0);
    bench_replay *s = bench_replay_new(r, 0.2);
    tpool *p = child_pool(rr->policy, 2);
    bench_exec ex = { .kind = BENCH_EX_TPOOL, .threads = 2, .pool = p };
    CHILD_CHECK(bench_rec_reset(0, 0, 0) == 0);
    CHILD_CHECK(bench_replay_run(s, &ex) == 0);
    CHILD_CHECK(tpool_destroy(p) == 0);
    bench_replay_free(s);
    bench_record_free(r);
}

/* The number of children of each task, sorted: the shape of the task tree. */
static void child_counts(const bench_record *r, unsigned *out)
{
    for (size_t i = 0; i < r->ntasks; i++) {
        out[i] = 0;
        for (size_t j = 0; j < r->ntasks; j++)
            out[i] += r->tasks[j].in_kind == BENCH_IN_TASK && r->tasks[j].in_id == r->tasks[i].id;
    }
    for (size_t i = 1; i < r->ntasks; i++)
        for (size_t j = i; j > 0 && out[j - 1] > out[j]; j--) {
            unsigned t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
}

START_TEST(replay_has_the_recorded_shape)
{
    const char *pol[16] = { NULL };
    ck_assert_int_gt(tu_policies(pol, 16), 0);
    const char *a = tmp("a.jsonl"), *b = tmp("b.jsonl");
    ck_assert_int_eq(record_child(a, known_prog, (void *)pol[0], NULL), 0);
    rerecord rr = { a, pol[0] };
    ck_assert_int_eq(record_child(b, replay_prog, &rr, NULL), 0);
    bench_record *ra = load_ok(a, 0), *rb = load_ok(b, 0);
    /* The same calls (tiles, flags, place), tasks, tree, groups and waits;
     * the replay's calls are linear ranges over the original's tiles. */
    ck_assert_uint_eq(rb->ncalls, ra->ncalls);
    for (size_t i = 0; i < ra->ncalls; i++) {
        ck_assert_uint_eq(rb->calls[i].n, ra->calls[i].n);
        ck_assert_uint_eq(rb->calls[i].flags, ra->calls[i].flags);
        ck_assert_int_eq(rb->calls[i].in_kind, ra->calls[i].in_kind);
        ck_assert_str_eq(rb->calls[i].api, "tpool_parallel_range");
    }
    ck_assert_uint_eq(rb->ntasks, ra->ntasks);
    unsigned ca[16], cb[16];
    child_counts(ra, ca);
    child_counts(rb, cb);
    for (size_t i = 0; i < ra->ntasks; i++)
        ck_assert_uint_eq(cb[i], ca[i]);
    /* the same attributes (ids follow submission, which races: compare sums) */
    int64_t pa = 0, pb = 0;
    uint64_t ka = 0, kb = 0, ga = 0, gb = 0;
    for (size_t i = 0; i < ra->ntasks; i++) {
        pa += ra->tasks[i].priority;
        pb += rb->tasks[i].priority;
        ka += ra->tasks[i].cost;
        kb += rb->tasks[i].cost;
        ga += ra->tasks[i].group != 0;
        gb += rb->tasks[i].group != 0;
    }
    ck_assert_int_eq(pb, pa);
    ck_assert_uint_eq(kb, ka);
    ck_assert_uint_eq(gb, ga);
    /* the original's waits (its pool's end replayed as a wait on every
     * task), the replay's final wait on every task, and the end of the
     * replay's own pool */
    ck_assert_uint_eq(rb->nwaits, ra->nwaits + 2);
    bench_record_free(ra);
    bench_record_free(rb);
}
END_TEST

/* ---- the drop-in -------------------------------------------------------------------- */

static void ptp_2d(void *ctx, size_t i, size_t j, size_t ti, size_t tj)
{
    (void)ctx;
    bench_spin(50 * ti * tj, i + j);
}

static void ptp_1d(void *ctx, size_t i, size_t n)
{
    (void)ctx;
    bench_spin(50 * n, i);
}

static void dropin_prog(void *arg)
{
    (void)arg;
    setenv("TPOOL_POLICY", "stealing", 1);
    pthreadpool_t pp = pthreadpool_create(2);
    CHILD_CHECK(pp != NULL);
    pthreadpool_parallelize_2d_tile_2d(pp, ptp_2d, NULL, 37, 23, 4, 5, 0);
    pthreadpool_parallelize_1d_tile_1d(pp, ptp_1d, NULL, 100, 7, 0);
    pthreadpool_destroy(pp);
    /* a pool of one thread records too (its calls run inline) */
    pp = pthreadpool_create(1);
    pthreadpool_parallelize_1d_tile_1d(pp, ptp_1d, NULL, 30, 7, 0);
    pthreadpool_destroy(pp);
}

START_TEST(dropin_records_its_functions)
{
    const char *path = tmp("dropin.jsonl");
    ck_assert_int_eq(record_child(path, dropin_prog, NULL, NULL), 0);
    bench_record *r = load_ok(path, 0);
    ck_assert_uint_eq(r->npools, 2);
    ck_assert_uint_eq(r->pools[0].threads, 2);
    ck_assert_uint_eq(r->pools[1].threads, 1);
    ck_assert_uint_eq(r->ncalls, 3);
    const bench_rcall *c = &r->calls[0];
    ck_assert_str_eq(c->api, "pthreadpool_parallelize_2d_tile_2d");
    ck_assert_uint_eq(c->ndim, 2);
    ck_assert_uint_eq(c->range[0], 37);
    ck_assert_uint_eq(c->tile[1], 5);
    ck_assert_uint_eq(c->n, 50);
    ck_assert_uint_eq(c->flags, TPOOL_FLAG_PROGRESS); /* every drop-in call asks for it */
    c = &r->calls[1];
    ck_assert_str_eq(c->api, "pthreadpool_parallelize_1d_tile_1d");
    ck_assert_uint_eq(c->range[0], 100);
    ck_assert_uint_eq(c->tile[0], 7);
    ck_assert_uint_eq(c->n, 15);
    c = &r->calls[2];
    ck_assert_uint_eq(c->pool, r->pools[1].id);
    ck_assert_uint_eq(c->threads, 1);
    ck_assert_uint_eq(c->n, 5);
    ck_assert_uint_eq(c->nseg, 1); /* inline: one chunk, all of it */
    assert_tiles_once(r);
    ck_assert_uint_eq(r->ntasks, 0);
    bench_record_free(r);
}
END_TEST

/* ---- bounds, errors ---------------------------------------------------------------- */

static void many_calls_prog(void *arg)
{
    int calls = *(const int *)arg;
    tpool *p = child_pool("stealing", 2);
    tpool_range_opts o = { .flags = TPOOL_FLAG_PROGRESS }; /* a chunk per tile */
    for (int i = 0; i < calls; i++)
        CHILD_CHECK(tpool_parallel_range(p, 64, spin_body, NULL, &o) == 0);
    /* no destroy: the end line at exit closes the pool */
}

START_TEST(sampling_after_full_calls)
{
    const char *path = tmp("sampled.jsonl");
    char value[600];
    snprintf(value, sizeof value, "{\"path\": \"%s\", \"full_calls\": 3, \"every\": 4}", path);
    int calls = 20;
    ck_assert_int_eq(record_child(value, many_calls_prog, &calls, NULL), 0);
    bench_record *r = load_ok(path, 0);
    ck_assert(r->complete);
    ck_assert(!r->pools[0].ended);
    ck_assert_uint_eq(r->full_calls, 3);
    ck_assert_uint_eq(r->every, 4);
    ck_assert_uint_eq(r->ncalls, 20);
    for (size_t i = 0; i < r->ncalls; i++) {
        const bench_rcall *c = &r->calls[i];
        int want = c->id <= 3 || (c->id - 3) % 4 == 0;
        ck_assert_msg(c->timed == want, "call %llu timed %d", (unsigned long long)c->id,
                      c->timed);
        if (!want) {
            ck_assert_uint_eq(c->nseg, 0);
            ck_assert_ptr_nonnull(c->model); /* a timed call of the same shape */
            ck_assert(c->model->timed);
            ck_assert_double_gt(bench_rcall_cost(c, 0, c->n, NULL), 0);
        }
    }
    assert_tiles_once(r);
    bench_record_free(r);
}
END_TEST

START_TEST(size_cap_stops_and_says_so)
{
    const char *path = tmp("capped.jsonl");
    char value[600];
    snprintf(value, sizeof value, "{\"path\": \"%s\", \"max_mb\": 1}", path);
    int calls = 400; /* 400 x 64 chunks of 56 bytes: over 1 MiB */
    ck_assert_int_eq(record_child(value, many_calls_prog, &calls, NULL), 0);
    bench_record *r = load_ok(path, 0);
    ck_assert(r->capped);
    ck_assert_uint_gt(r->dropped, 0);
    ck_assert_uint_lt(r->ncalls, 400);
    bench_record_free(r);
}
END_TEST

static void plain_prog(void *arg)
{
    (void)arg;
    tpool *p = child_pool("fifo", 2);
    CHILD_CHECK(tpool_parallel_range(p, 100, spin_body, NULL, NULL) == 0);
    CHILD_CHECK(tpool_destroy(p) == 0);
}

START_TEST(unwritable_file_warns_once)
{
    const char *err = tmp("stderr.txt");
    ck_assert_int_eq(record_child("/nonexistent-dir/r.jsonl", plain_prog, NULL, err), 0);
    ck_assert_int_eq(record_child("/nonexistent-dir/r.jsonl", known_prog, (void *)"fifo", err), 0);
    FILE *f = fopen(err, "r");
    ck_assert_ptr_nonnull(f);
    char line[1024] = "";
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_msg(strstr(line, "TPOOL_RECORD=\"/nonexistent-dir/r.jsonl\"") &&
                      strstr(line, "cannot open the record file") &&
                      strstr(line, "printed once"), "%s", line);
    ck_assert_ptr_null(fgets(line, sizeof line, f)); /* once */
    fclose(f);
    /* A bad object form: named, and nothing recorded. */
    ck_assert_int_eq(record_child("{\"path\": \"x\", \"every\": 0}", plain_prog, NULL, err), 0);
    f = fopen(err, "r");
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    fclose(f);
    ck_assert_msg(strstr(line, "<env TPOOL_RECORD>: record.every: expected an integer in "
                               "[1, 1000000], got 0"), "%s", line);
    ck_assert_int_ne(access("x", F_OK), 0);
}
END_TEST

/* Pools that are not recorded keep the fast path; recorded ones leave it. */
START_TEST(fast_path_unless_recorded)
{
    unsetenv("TPOOL_RECORD");
    tpool *p = tu_pool("fifo", 1, NULL);
    ck_assert_uint_eq(p->record.id, 0);
    ck_assert_uint_eq(atomic_load(&p->seats.word) & TPOOL__SEAT_RECORDED, 0);
    ck_assert_int_eq(tpool_set_threads(p, 2), 0);
    ck_assert_int_eq(tpool_set_threads(p, 1), 0);
    ck_assert_uint_eq(atomic_load(&p->seats.word) & TPOOL__SEAT_RECORDED, 0);
    ck_assert_int_eq(tpool_destroy(p), 0);
}
END_TEST

static void solo_prog(void *arg)
{
    (void)arg;
    tpool *p = child_pool("fifo", 1);
    CHILD_CHECK(p->record.id != 0 && (atomic_load(&p->seats.word) & TPOOL__SEAT_RECORDED));
    CHILD_CHECK(tpool_set_threads(p, 2) == 0 && tpool_set_threads(p, 1) == 0);
    CHILD_CHECK(atomic_load(&p->seats.word) & TPOOL__SEAT_RECORDED); /* no fast path */
    CHILD_CHECK(tpool_parallel_range(p, 10, spin_body, NULL, NULL) == 0);
    CHILD_CHECK(tpool_destroy(p) == 0);
}

START_TEST(recorded_pool_of_one_thread)
{
    const char *path = tmp("solo.jsonl");
    ck_assert_int_eq(record_child(path, solo_prog, NULL, NULL), 0);
    bench_record *r = load_ok(path, 0);
    ck_assert_uint_eq(r->ncalls, 1);
    ck_assert_uint_eq(r->calls[0].threads, 1);
    assert_tiles_once(r);
    bench_record_free(r);
}
END_TEST

/* A forked child that does not exec records nothing; its parent goes on. */
static void fork_prog(void *arg)
{
    (void)arg;
    tpool *p = child_pool("fifo", 2);
    CHILD_CHECK(tpool_parallel_range(p, 100, spin_body, NULL, NULL) == 0);
    fflush(NULL);
    pid_t pid = fork();
    CHILD_CHECK(pid >= 0);
    if (pid == 0) {
        /* The sanitizers' runtimes cannot start threads in the child of a
         * multi-threaded fork (check_fork.c says more): there the child
         * only exits, its exit handlers running. */
        if (!TU_UNDER_SANITIZER) {
            tpool *q = child_pool("fifo", 2);
            if (tpool_parallel_range(q, 50, spin_body, NULL, NULL) != 0 || tpool_destroy(q) != 0)
                _exit(5);
        }
        exit(0); /* exit handlers run: the record must not change */
    }
    int st;
    CHILD_CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHILD_CHECK(tpool_parallel_range(p, 100, spin_body, NULL, NULL) == 0);
    CHILD_CHECK(tpool_destroy(p) == 0);
}

START_TEST(forked_child_records_nothing)
{
    const char *path = tmp("fork.jsonl");
    ck_assert_int_eq(record_child(path, fork_prog, NULL, NULL), 0);
    bench_record *r = load_ok(path, 0);
    ck_assert_uint_eq(r->npools, 1);
    ck_assert_uint_eq(r->ncalls, 2);
    ck_assert_uint_eq(r->calls[0].n, 100);
    ck_assert_uint_eq(r->calls[1].n, 100);
    bench_record_free(r);
}
END_TEST

/* Two processes given one file: the second writes FILE.PID. */
typedef struct two {
    int ready[2], done[2];
    const char *path;
} two;

static void holder_prog(void *arg)
{
    two *t = arg;
    tpool *p = child_pool("fifo", 2);
    CHILD_CHECK(tpool_parallel_range(p, 10, spin_body, NULL, NULL) == 0);
    char c = 1;
    CHILD_CHECK(write(t->ready[1], &c, 1) == 1); /* the file is open and locked */
    CHILD_CHECK(read(t->done[0], &c, 1) == 1);
    CHILD_CHECK(tpool_destroy(p) == 0);
}

static void second_prog(void *arg)
{
    (void)arg;
    tpool *p = child_pool("fifo", 2);
    CHILD_CHECK(tpool_parallel_range(p, 20, spin_body, NULL, NULL) == 0);
    FILE *f = fopen(tmp("second.pid"), "w");
    fprintf(f, "%ld\n", (long)getpid());
    fclose(f);
    CHILD_CHECK(tpool_destroy(p) == 0);
}

START_TEST(second_process_gets_its_own_file)
{
    two t = { .path = tmp("shared.jsonl") };
    ck_assert_int_eq(pipe(t.ready), 0);
    ck_assert_int_eq(pipe(t.done), 0);
    fflush(NULL);
    pid_t holder = fork();
    ck_assert_int_ge(holder, 0);
    if (holder == 0) {
        setenv("TPOOL_RECORD", t.path, 1);
        holder_prog(&t);
        exit(0);
    }
    char c;
    ck_assert_int_eq(read(t.ready[0], &c, 1), 1);
    const char *err = tmp("second.err");
    ck_assert_int_eq(record_child(t.path, second_prog, NULL, err), 0);
    ck_assert_int_eq(write(t.done[1], &c, 1), 1);
    int st;
    ck_assert_int_eq(waitpid(holder, &st, 0), holder);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    FILE *f = fopen(tmp("second.pid"), "r");
    long pid = 0;
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fscanf(f, "%ld", &pid), 1);
    fclose(f);
    char own[600];
    snprintf(own, sizeof own, "%s.%ld", t.path, pid);
    bench_record *a = load_ok(t.path, 0), *b = load_ok(own, 0);
    ck_assert_uint_eq(a->ncalls, 1);
    ck_assert_uint_eq(a->calls[0].n, 10);
    ck_assert_uint_eq(b->ncalls, 1);
    ck_assert_uint_eq(b->calls[0].n, 20);
    bench_record_free(a);
    bench_record_free(b);
    f = fopen(err, "r");
    char line[1024] = "";
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    fclose(f);
    ck_assert_msg(strstr(line, "another process is recording into it") && strstr(line, own),
                  "%s", line);
}
END_TEST

/* ---- concurrency -------------------------------------------------------------------- */

typedef struct busy {
    tpool *p;
    _Atomic int stop;
    int calls;
} busy;

static void *busy_main(void *arg)
{
    busy *b = arg;
    tpool_range_opts o = { .flags = TPOOL_FLAG_PROGRESS };
    while (!atomic_load(&b->stop)) {
        CHILD_CHECK(tpool_parallel_range(b->p, 32, spin_body, NULL, &o) == 0);
        CHILD_CHECK(tpool_submit(b->p, leaf, NULL, NULL) == 0);
        b->calls++;
    }
    CHILD_CHECK(tpool_wait_all(b->p) == 0);
    return NULL;
}

/* One thread keeps recording on pool A while this one creates and destroys
 * pool B, each destruction flushing A's live buffers. */
static void flush_while_busy_prog(void *arg)
{
    int *calls = arg;
    busy b = { child_pool("stealing", 3), 0, 0 };
    pthread_t th;
    CHILD_CHECK(pthread_create(&th, NULL, busy_main, &b) == 0);
    for (int i = 0; i < 20; i++) {
        tpool *q = child_pool("fifo", 2);
        CHILD_CHECK(tpool_parallel_range(q, 64, spin_body, NULL, NULL) == 0);
        CHILD_CHECK(tpool_destroy(q) == 0);
    }
    atomic_store(&b.stop, 1);
    CHILD_CHECK(pthread_join(th, NULL) == 0);
    CHILD_CHECK(tpool_destroy(b.p) == 0);
    FILE *f = fopen(tmp("calls.txt"), "w");
    fprintf(f, "%d\n", b.calls);
    fclose(f);
    (void)calls;
}

START_TEST(flush_while_others_record)
{
    const char *path = tmp("busy.jsonl");
    ck_assert_int_eq(record_child(path, flush_while_busy_prog, NULL, NULL), 0);
    FILE *f = fopen(tmp("calls.txt"), "r");
    int calls = -1;
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fscanf(f, "%d", &calls), 1);
    fclose(f);
    bench_record *r = load_ok(path, 0);
    ck_assert_uint_eq(r->npools, 21);
    ck_assert_uint_eq(r->ncalls, (size_t)calls + 20);
    ck_assert_uint_eq(r->ntasks, (size_t)calls);
    ck_assert_uint_eq(r->noutside, 2);
    assert_tiles_once(r);
    /* both threads' timelines replay: every tile and task once */
    replay_checked(r, "stealing");
    bench_record_free(r);
}
END_TEST

/* ---- broken records ------------------------------------------------------------------ */

#define HDR "{\"record\":\"tpool-record/1\",\"program\":\"t\",\"sampling\":{\"full_calls\":9,\"every\":1}}\n"
#define POOL "{\"pool\":1,\"t\":0,\"policy\":\"fifo\",\"threads\":2}\n"
#define CALL "{\"call\":1,\"pool\":1,\"th\":0,\"api\":\"tpool_parallel_range\",\"range\":[4],\"tile\":[1],\"n\":4,\"T\":2,\"t0\":10,\"t1\":20,\"timed\":true}\n"
#define END "{\"end\":30}\n"

static const struct broken {
    const char *text;
    unsigned flags;
    const char *where; /* "LINE:COL" after the file name, or "" for none */
    const char *msg;
} broken[] = {
    { "", 0, "", "empty: no \"record\" header" },
    { "hello\n", 0, ":1:5:", "'[' or '{' expected near 'hello'" },
    { POOL, 0, ":1:1:", "not a tpool record: its first line is no \"record\" header" },
    { "{\"record\":\"tpool-record/2\"}\n", 0, ":1:11:", "newer than this reader's" },
    { "{\"record\":\"perf\"}\n", 0, ":1:11:", "not a tpool record" },
    { HDR "{\"pool\":1,\"t\":0,\"policy\":\"fi", 0, ":2:", "the record is cut short" },
    { HDR "{\"pool\":1,\"t\":0,\"policy\":\"fifo\",\"threads\":2", 0, ":2:", "the record is cut short" },
    { HDR "{\"pool\":1} x\n", 0, ":2:", "end of file expected near 'x'" },
    { HDR POOL "{\"call\":1,\"pool\":1,\"th\":0,\"api\":\"x\",\"range\":[4],\"tile\":[1],\"n\":4,\"t0\":1,\"t1\":2}\n" END,
      0, ":3:1:", "a \"call\" line needs \"T\"" },
    { HDR POOL "{\"call\":1,\"pool\":1,\"th\":0,\"api\":\"x\",\"range\":[4],\"tile\":[1],\"n\":\"4\",\"T\":2,\"t0\":1,\"t1\":2}\n" END,
      0, ":3:64:", "n: expected an integer >= 0, got \"4\"" },
    { HDR POOL "{\"call\":1,\"pool\":1,\"th\":0,\"api\":\"x\",\"range\":[40,3],\"tile\":[8,2],\"n\":5,\"T\":2,\"t0\":1,\"t1\":2}\n" END,
      0, ":3:69:", "is 5, but the range and tiles make 10 tiles" },
    { HDR POOL "{\"call\":1,\"pool\":2,\"th\":0,\"api\":\"x\",\"range\":[4],\"tile\":[1],\"n\":4,\"T\":2,\"t0\":1,\"t1\":2}\n" END,
      0, ":3:18:", "pool 2, which the record does not create" },
    { HDR POOL CALL "{\"tiles\":1,\"th\":0,\"c\":[[0,3,5],[2,2,5]]}\n" END, 0, ":4:",
      "overlap tiles recorded before: a tile ran twice?" },
    { HDR POOL CALL "{\"tiles\":1,\"th\":0,\"c\":[[0,3,5],[3,2,5]]}\n" END, 0, ":4:",
      "lie beyond its range" },
    { HDR POOL CALL "{\"tiles\":7,\"th\":0,\"c\":[[0,1,5]]}\n" END, 0, ":4:",
      "\"tiles\" of call 7, which the record does not have" },
    { HDR POOL CALL "{\"tiles\":1,\"th\":0,\"c\":[[0,0,5]]}\n" END, 0, ":4:24:",
      "expected [first tile, tiles >= 1, ns]" },
    { HDR POOL "{\"task\":1,\"pool\":1,\"th\":0,\"t\":50,\"run_th\":1,\"t0\":40,\"t1\":60}\n" END,
      0, ":3:50:", "starts before it was submitted" },
    { HDR POOL CALL END CALL, 0, ":5:2:", "an event after the \"end\" line" },
    { HDR POOL "{\"frobnicate\":1}\n", 0, ":3:2:", "unknown event" },
    { HDR HDR, 0, ":2:2:", "a second header" },
    { HDR POOL CALL, 0, "", "incomplete record" },
};

START_TEST(broken_record_refused)
{
    const struct broken *b = &broken[_i];
    const char *path = tmp("broken.jsonl");
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(b->text, f);
    fclose(f);
    bench_record *r = (bench_record *)&r;
    bench_perror pe;
    ck_assert_int_eq(bench_record_load(path, b->flags, &r, &pe), -1);
    ck_assert_ptr_null(r);
    char want[600];
    snprintf(want, sizeof want, "%s%s", path, b->where);
    ck_assert_msg(strncmp(pe.text, want, strlen(want)) == 0, "row %d: '%s' does not start "
                  "with '%s'", _i, pe.text, want);
    ck_assert_msg(strstr(pe.text, b->msg) != NULL, "row %d: '%s' lacks '%s'", _i, pe.text,
                  b->msg);
    ck_assert_msg(!strstr(pe.text, "cut short") || strstr(b->msg, "cut short"),
                  "row %d: '%s' claims a truncation", _i, pe.text);
}
END_TEST

START_TEST(incomplete_accepted_when_asked)
{
    const char *path = tmp("cut.jsonl");
    FILE *f = fopen(path, "w");
    fputs(HDR POOL CALL "{\"tiles\":1,\"th\":0,\"c\":[[0,4,8000]]}\n", f);
    fclose(f);
    bench_record *r = load_ok(path, BENCH_RECORD_INCOMPLETE);
    ck_assert(!r->complete);
    ck_assert_uint_eq(r->ncalls, 1);
    ck_assert_double_eq_tol(bench_rcall_cost(&r->calls[0], 1, 3, NULL), 4000, 1e-9);
    bench_record_free(r);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("record");
    TCase *tc = tcase_create("record");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, known_program_every_policy);
    tcase_add_test(tc, replay_runs_everything_once);
    tcase_add_test(tc, replay_has_the_recorded_shape);
    tcase_add_test(tc, dropin_records_its_functions);
    tcase_add_test(tc, sampling_after_full_calls);
    tcase_add_test(tc, size_cap_stops_and_says_so);
    tcase_add_test(tc, unwritable_file_warns_once);
    tcase_add_test(tc, fast_path_unless_recorded);
    tcase_add_test(tc, recorded_pool_of_one_thread);
    tcase_add_test(tc, flush_while_others_record);
    tcase_add_test(tc, forked_child_records_nothing);
    tcase_add_test(tc, second_process_gets_its_own_file);
    suite_add_tcase(s, tc);
    tc = tcase_create("broken");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_loop_test(tc, broken_record_refused, 0, (int)(sizeof broken / sizeof broken[0]));
    tcase_add_test(tc, incomplete_accepted_when_asked);
    suite_add_tcase(s, tc);
    return s;
}

TU_ASAN_NO_DYNAMIC_TLS

int main(void)
{
    return tu_run(suite());
}
