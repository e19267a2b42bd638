/*
 * nested.c - recursive fork-join: every inner node of a tree of `depth`
 * levels makes a group, submits fanout - 1 children to it, runs one child
 * itself and waits for the group (helping meanwhile); each of the
 * fanout^depth leaves spins leaf_ns. Inner nodes sum their children's
 * values; each leaf is recorded (bench_rec_items, by its index), each
 * submitted node as a task with the slot of the thread that submitted it.
 * The check: the root's value, and every leaf recorded exactly once (a
 * node run twice runs its leaves twice; one never run, never).
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include "bench.h"

#define MAX_FANOUT 16

static const bench_param_spec params[] = {
    { "depth", "levels below the root", 1, 0, 30, 12 },
    { "fanout", "children per inner node", 1, 2, MAX_FANOUT, 2 },
    { "leaf_ns", "cost of each leaf, ns", 0, 0, 1e9, 5000 },
};

typedef struct nested {
    unsigned depth, fanout;
    uint64_t iters, seed, leaves;
    uint64_t expect, result;
    _Atomic int failed;
    tpool *pool;
    int trace;
} nested;

typedef struct node {
    nested *s;
    unsigned depth;
    uint64_t index;
    uint64_t value;
    unsigned producer; /* recorder slot of the submitter; BENCH_NO_SLOT: run inline */
} node;

static uint64_t leaf_value(nested *s, uint64_t index)
{
    uint64_t t0 = s->trace ? bench_now_ns() : 0;
    uint64_t v = bench_spin(s->iters, s->seed + index);
    unsigned slot = bench_rec_slot();
    bench_rec_items(slot, index, 1, 1);
    if (s->trace)
        bench_rec_span(slot, t0, bench_now_ns(), index);
    return v;
}

static uint64_t serial_tree(nested *s, unsigned depth, uint64_t index)
{
    if (depth == 0)
        return leaf_value(s, index);
    uint64_t sum = 0;
    for (unsigned k = 0; k < s->fanout; k++)
        sum += serial_tree(s, depth - 1, index * s->fanout + k);
    return sum;
}

static int setup(const double *p, uint64_t seed, void **state, char *err, size_t errsize)
{
    nested *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errsize, "out of memory");
        return -1;
    }
    s->depth = (unsigned)p[0];
    s->fanout = (unsigned)p[1];
    s->iters = bench_ns_to_iters(p[2]);
    s->seed = seed;
    double leaves = pow(s->fanout, s->depth);
    if (leaves > 1e9) {
        free(s);
        snprintf(err, errsize, "fanout^depth = %.3g leaves; at most 1e9", leaves);
        return -1;
    }
    s->leaves = (uint64_t)leaves;
    s->expect = serial_tree(s, s->depth, 0);
    *state = s;
    return 0;
}

static void node_run(void *arg)
{
    node *nd = arg;
    nested *s = nd->s;
    if (nd->producer != BENCH_NO_SLOT)
        bench_rec_task(nd->producer, 0, 0, 0);
    if (nd->depth == 0) {
        nd->value = leaf_value(s, nd->index);
        return;
    }
    node kids[MAX_FANOUT];
    unsigned me = bench_rec_slot();
    for (unsigned k = 0; k < s->fanout; k++)
        kids[k] = (node){ s, nd->depth - 1, nd->index * s->fanout + k, 0,
                          k ? me : BENCH_NO_SLOT };
    tpool_group *g;
    if (tpool_group_create(s->pool, &g) != 0) {
        atomic_store_explicit(&s->failed, 1, memory_order_relaxed);
        return;
    }
    tpool_task_attr a = TPOOL_TASK_ATTR_INIT;
    a.group = g;
    for (unsigned k = 1; k < s->fanout; k++)
        if (tpool_submit(s->pool, node_run, &kids[k], &a) != 0)
            atomic_store_explicit(&s->failed, 1, memory_order_relaxed);
    node_run(&kids[0]);
    tpool_group_destroy(g); /* waits, helping */
    uint64_t sum = 0;
    for (unsigned k = 0; k < s->fanout; k++)
        sum += kids[k].value;
    nd->value = sum;
}

static uint64_t omp_leaf(void *ctx, uint64_t index)
{
    return leaf_value(ctx, index);
}

static void prepare(void *state, const bench_exec *ex)
{
    nested *s = state;
    s->result = 0;
    s->trace = ex->trace;
    atomic_store_explicit(&s->failed, 0, memory_order_relaxed);
}

static int run(void *state, const bench_exec *ex)
{
    nested *s = state;
    switch (ex->kind) {
    case BENCH_EX_SERIAL:
        s->result = serial_tree(s, s->depth, 0);
        return 0;
    case BENCH_EX_OMP:
        return bench_omp_tree(ex->threads, s->depth, s->fanout, omp_leaf, s, &s->result);
    case BENCH_EX_TBB:
        return bench_tbb_tree(ex->tbb, s->depth, s->fanout, omp_leaf, s, &s->result);
    case BENCH_EX_TPOOL: {
        s->pool = ex->pool;
        node root = { s, s->depth, 0, 0, BENCH_NO_SLOT };
        node_run(&root);
        s->result = root.value;
        return atomic_load_explicit(&s->failed, memory_order_relaxed) ? TPOOL_ENOMEM : 0;
    }
    case BENCH_EX_PTP:
        break;
    }
    return -1;
}

static int check(void *state, const bench_exec *ex, char *msg, size_t n)
{
    nested *s = state;
    (void)ex;
    if (s->result != s->expect) {
        snprintf(msg, n, "tree value %" PRIx64 ", expected %" PRIx64
                         " (a subtree never ran)", s->result, s->expect);
        return -1;
    }
    return bench_rec_check_items(s->leaves, msg, n);
}

static void plant(void *state)
{
    ((nested *)state)->result += 1;
}

static uint64_t items(void *state, const bench_exec *ex)
{
    (void)ex;
    return ((nested *)state)->leaves;
}

static void teardown(void *state)
{
    free(state);
}

const bench_workload bench_wl_nested = {
    .name = "nested",
    .description = "recursive fork-join tasks with groups, waiting inside tasks",
    .unit = "leaves",
    BENCH_WORKLOAD_PARAMS(params),
    .size_param = 2,
    .runs = BENCH_RUNS_SERIAL | BENCH_RUNS_TPOOL | BENCH_RUNS_OMP_TASK | BENCH_RUNS_TBB_TASK,
    BENCH_WORKLOAD_CALLBACKS,
};
