/*
 * deadlinetasks.c - a stream of tasks of exponentially distributed cost,
 * submitted with exponential gaps, one in `urgent_every` (drawn with the
 * seed) urgent: it
 * has priority urgent_priority and must end within `slack` times its own
 * cost after its submission; the others have priority 0 and, with a
 * background_slack, a looser deadline of their own. Every task carries its
 * exact cost as a hint. A policy that honours priorities (or deadlines)
 * misses fewer urgent deadlines than one that runs tasks in submission
 * order; the harness reports the share of deadlines missed next to the
 * flow times of both classes. By default tasks arrive twice as fast as one
 * thread runs them, so a backlog builds up behind which only an urgent task
 * that is started first can meet its deadline; the urgent tasks alone are
 * a quarter of one thread's work. (All at once, gap_ns 0, the urgent tasks
 * queue behind each other and miss their deadlines under any order.)
 */
#include <math.h>

#include "taskstream.h"

static const tpool_param_desc params[] = {
    TPOOL_BENCH_PARAM_INT("n", "tasks per run", 1, 10000000, 2000),
    TPOOL_BENCH_PARAM_DOUBLE("task_ns", "mean cost of a task, ns (exponential, capped at 20 "
                                        "times the mean)", 1, 1e9, 5000),
    TPOOL_BENCH_PARAM_INT("urgent_every", "one task in this many is urgent (drawn with the "
                                          "seed)", 1, 1000000000, 8),
    TPOOL_BENCH_PARAM_INT("urgent_priority", "priority of the urgent tasks (the others have 0)",
                          1, 1000000000, 10),
    TPOOL_BENCH_PARAM_DOUBLE("slack", "an urgent task's deadline: this many times its own cost "
                                      "after its submission", 1, 1e9, 20),
    TPOOL_BENCH_PARAM_DOUBLE("background_slack", "the same for the other tasks; 0 = no "
                                                 "deadline", 0, 1e9, 0),
    TPOOL_BENCH_PARAM_DOUBLE("gap_ns", "mean gap between submissions, ns (exponential); 0 = "
                                       "all at once", 0, 1e9, 2500),
};

static int setup(const tpool_bench_env *env, void **state)
{
    const tpool_param_value *p = env->params;
    taskstream *s = taskstream_new(env, (size_t)p[0].i);
    if (!s)
        return -1;
    uint64_t rng = env->seed ^ 0xDEAD11u;
    double mean = p[1].d;
    for (size_t i = 0; i < s->n; i++) {
        double ns = -mean * log(tpool_bench_rand_unit(&rng));
        s->cost_ns[i] = (uint64_t)(ns < 20 * mean ? ns : 20 * mean);
        if (s->cost_ns[i] == 0)
            s->cost_ns[i] = 1;
        s->hint[i] = s->cost_ns[i];
        int urgent = tpool_bench_rand(&rng) % (uint64_t)p[2].i == 0;
        s->priority[i] = urgent ? (int)p[3].i : 0;
        double slack = urgent ? p[4].d : p[5].d;
        s->deadline_ns[i] = (uint64_t)(slack * (double)s->cost_ns[i]);
    }
    taskstream_gaps(s, p[6].d, &rng);
    taskstream_finish(s);
    *state = s;
    return 0;
}

const tpool_bench_workload bench_wl_deadlinetasks = {
    TASKSTREAM_WORKLOAD(params, setup),
    .name = "deadline-tasks",
    .description = "urgent tasks (priority, tight deadline) among background ones; deadline "
                   "misses, flow time",
};
