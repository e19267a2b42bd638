/*
 * nested.c - recursive fork-join: every inner node of a tree of `depth`
 * levels makes a group, submits fanout - 1 children to it, runs one child
 * itself and waits for the group (helping meanwhile); each of the
 * fanout^depth leaves spins leaf_ns. Inner nodes sum their children's
 * values. The check: the root's value (a subtree never run, or run twice,
 * changes it); the harness checks that every submitted node ran once.
 */
#include <inttypes.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "tpool-bench.h"

#define MAX_FANOUT 16

static const tpool_param_desc params[] = {
    TPOOL_BENCH_PARAM_INT("depth", "levels below the root", 0, 30, 12),
    TPOOL_BENCH_PARAM_INT("fanout", "children per inner node", 2, MAX_FANOUT, 2),
    TPOOL_BENCH_PARAM_DOUBLE("leaf_ns", "cost of each leaf, ns", 0, 1e9, 5000),
};

typedef struct nested {
    unsigned depth, fanout;
    uint64_t iters, seed, leaves;
    uint64_t expect, result;
    uint64_t (*spin)(uint64_t, uint64_t);
    _Atomic int failed;
    const tpool_bench_exec *ex; /* during a run */
} nested;

typedef struct node {
    nested *s;
    unsigned depth;
    uint64_t index;
    uint64_t value;
} node;

static uint64_t serial_tree(nested *s, unsigned depth, uint64_t index)
{
    if (depth == 0)
        return s->spin(s->iters, s->seed + index);
    uint64_t sum = 0;
    for (unsigned k = 0; k < s->fanout; k++)
        sum += serial_tree(s, depth - 1, index * s->fanout + k);
    return sum;
}

static int setup(const tpool_bench_env *env, void **state)
{
    const tpool_param_value *p = env->params;
    double leaves = pow((double)p[1].i, (double)p[0].i);
    if (leaves > 1e9) {
        snprintf(env->errbuf, env->errbuf_size, "fanout^depth = %.3g leaves; at most 1e9",
                 leaves);
        return -1;
    }
    nested *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(env->errbuf, env->errbuf_size, "out of memory");
        return -1;
    }
    s->depth = (unsigned)p[0].i;
    s->fanout = (unsigned)p[1].i;
    s->iters = env->ns_to_iters(p[2].d);
    s->seed = env->seed;
    s->spin = env->spin;
    s->leaves = (uint64_t)leaves;
    s->expect = serial_tree(s, s->depth, 0);
    *state = s;
    return 0;
}

static void node_run(void *arg)
{
    node *nd = arg;
    nested *s = nd->s;
    const tpool_bench_exec *ex = s->ex;
    if (nd->depth == 0) {
        nd->value = s->spin(s->iters, s->seed + nd->index);
        return;
    }
    node kids[MAX_FANOUT];
    for (unsigned k = 0; k < s->fanout; k++)
        kids[k] = (node){ s, nd->depth - 1, nd->index * s->fanout + k, 0 };
    tpool_bench_group *g;
    if (ex->group_create(ex, &g) != 0) {
        atomic_store_explicit(&s->failed, 1, memory_order_relaxed);
        return;
    }
    for (unsigned k = 1; k < s->fanout; k++)
        if (ex->submit(ex, g, node_run, &kids[k], NULL) != 0)
            atomic_store_explicit(&s->failed, 1, memory_order_relaxed);
    node_run(&kids[0]);
    if (ex->group_wait(ex, g) != 0) /* waits, helping */
        atomic_store_explicit(&s->failed, 1, memory_order_relaxed);
    uint64_t sum = 0;
    for (unsigned k = 0; k < s->fanout; k++)
        sum += kids[k].value;
    nd->value = sum;
}

static void prepare(void *state, const tpool_bench_exec *ex)
{
    nested *s = state;
    (void)ex;
    s->result = 0;
    atomic_store_explicit(&s->failed, 0, memory_order_relaxed);
}

static int run(void *state, const tpool_bench_exec *ex)
{
    nested *s = state;
    s->ex = ex;
    node root = { s, s->depth, 0, 0 };
    node_run(&root);
    s->result = root.value;
    return atomic_load_explicit(&s->failed, memory_order_relaxed) ? TPOOL_ENOMEM : 0;
}

static int check(void *state, const tpool_bench_exec *ex, char *msg, size_t n)
{
    nested *s = state;
    (void)ex;
    if (s->result != s->expect) {
        snprintf(msg, n, "tree value %" PRIx64 ", expected %" PRIx64
                         " (a subtree never ran, or ran twice)", s->result, s->expect);
        return -1;
    }
    return 0;
}

static void plant(void *state)
{
    ((nested *)state)->result += 1;
}

static uint64_t items(void *state, const tpool_bench_exec *ex)
{
    (void)ex;
    return ((nested *)state)->leaves;
}

static void teardown(void *state)
{
    free(state);
}

const tpool_bench_workload bench_wl_nested = {
    TPOOL_BENCH_WORKLOAD_HEADER,
    .name = "nested",
    .description = "recursive fork-join tasks with groups, waiting inside tasks",
    .unit = "leaves",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .uses = TPOOL_BENCH_USES_TASKS,
    .size_param = "leaf_ns",
    .setup = setup,
    .run = run,
    .teardown = teardown,
    .prepare = prepare,
    .check = check,
    .items = items,
    .plant = plant,
};
