/*
 * costedtasks.c - independent tasks of Pareto-distributed cost, each
 * submitted with a cost hint that is exact, noisy (the cost times a
 * log-normal error) or absent, all at once or as a stream with exponential
 * gaps. The order a policy starts them in decides the flow time and the
 * slowdown far more than the makespan: shortest-first cuts the mean flow
 * time of a heavy-tailed batch, and a policy that reads the hint can do so
 * only as well as the hint is right. Reports the hints' mean relative
 * error as its own metric.
 */
#include <math.h>

#include "taskstream.h"

static const char *const hints[] = { "exact", "noisy", "none", NULL };
enum { HINT_EXACT, HINT_NOISY, HINT_NONE };

static const tpool_param_desc params[] = {
    TPOOL_BENCH_PARAM_INT("n", "tasks per run", 1, 10000000, 2000),
    TPOOL_BENCH_PARAM_DOUBLE("xm_ns", "Pareto scale: the smallest cost, ns", 1, 1e9, 2000),
    TPOOL_BENCH_PARAM_DOUBLE("alpha", "Pareto shape (mean xm*alpha/(alpha-1))", 1.01, 100, 1.5),
    TPOOL_BENCH_PARAM_DOUBLE("cap_ns", "costs are capped here, ns", 1, 1e10, 1e6),
    TPOOL_BENCH_PARAM_ENUM("hint", "each task's cost hint: its cost, the cost times a "
                                   "log-normal error, or none", hints, HINT_EXACT),
    TPOOL_BENCH_PARAM_DOUBLE("noise", "sigma of the noisy hints' log-normal error", 0, 10, 0.5),
    TPOOL_BENCH_PARAM_DOUBLE("gap_ns", "mean gap between submissions, ns (exponential); 0 = "
                                       "all at once", 0, 1e9, 0),
};

static const tpool_bench_metric metrics[] = {
    { "hint_error", "fraction", "mean |hint - cost| / cost over the tasks (1 without hints)" },
};

/* A standard normal draw (Box-Muller). */
static double normal(uint64_t *rng)
{
    double u = tpool_bench_rand_unit(rng), v = tpool_bench_rand_unit(rng);
    return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

static int setup(const tpool_bench_env *env, void **state)
{
    const tpool_param_value *p = env->params;
    taskstream *s = taskstream_new(env, (size_t)p[0].i);
    if (!s)
        return -1;
    uint64_t rng = env->seed ^ 0xC057EDu;
    for (size_t i = 0; i < s->n; i++) {
        /* inverse transform: xm / U^(1/alpha), U in (0, 1] */
        double ns = p[1].d / pow(tpool_bench_rand_unit(&rng), 1.0 / p[2].d);
        s->cost_ns[i] = (uint64_t)(ns < p[3].d ? ns : p[3].d);
        double h = p[4].i == HINT_EXACT   ? (double)s->cost_ns[i]
                   : p[4].i == HINT_NOISY ? (double)s->cost_ns[i] * exp(p[5].d * normal(&rng))
                                          : 0;
        /* a hint of 0 means "unknown": a noisy estimate is at least 1 */
        s->hint[i] = p[4].i == HINT_NONE ? 0 : h >= 1 ? (uint64_t)h : 1;
    }
    taskstream_gaps(s, p[6].d, &rng);
    taskstream_finish(s);
    *state = s;
    return 0;
}

static void metrics_read(void *state, const tpool_bench_exec *ex, double *out)
{
    (void)ex;
    out[0] = ((const taskstream *)state)->hint_error;
}

const tpool_bench_workload bench_wl_costedtasks = {
    TASKSTREAM_WORKLOAD(params, setup),
    .name = "costed-tasks",
    .description = "Pareto-cost tasks with exact, noisy or no cost hints; flow time, slowdown",
    .metrics = metrics,
    .nmetrics = sizeof metrics / sizeof metrics[0],
    .metrics_read = metrics_read,
};
