/* check_bench_runner.c - the measuring loop on small experiments: the
 * stopping rule (a cell stops at the first round its CI is within the
 * target, at max_rounds, when the budget is spent after the minimum, or
 * when it fails), fixed repetitions, and a stop request. Whatever the
 * machine's load, each cell's stop must be the one the rule gives for the
 * times it measured. */
#define _GNU_SOURCE
#include <math.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "session.h"
#include "stats.h"
#include "testutil.h"

/* Runs `text` on the serial loop and fifo at 1 and 2 threads. */
static int run(const char *text, bench_experiment *e, bench_report *r)
{
    bench_perror pe;
    ck_assert_msg(bench_experiment_parse(text, "<runner>", e, &pe) == 0, "%s", pe.text);
    bench_options o;
    memset(&o, 0, sizeof o);
    char *argv[] = { "check_bench_runner", NULL };
    return bench_run(e, &o, r, 1, argv);
}

#define EXP(rounds)                                                                            \
    "{\"policies\": [\"fifo\"], \"baselines\": [\"serial\"], \"threads\": [1, 2],"             \
    " \"warmup\": 0, \"cooldown_us\": 0, \"idle_probe_ms\": 0, " rounds ","                    \
    " \"workloads\": [{\"workload\": \"uniform\", \"params\": {\"n\": 40, \"item_ns\": 200}},"  \
    " {\"workload\": \"empty\", \"params\": {\"calls\": 5}}]}"

/* Every cell of r took `rounds` rounds and stopped for `stop`. */
static void every_cell(const bench_report *r, unsigned rounds, int stop)
{
    for (size_t i = 0; i < r->ncells; i++) {
        ck_assert_uint_eq(r->cells[i].nrounds, rounds);
        ck_assert_int_eq(r->cells[i].run_stop[0], stop);
    }
}

/* ci_target: each cell stops at the first round from min_rounds on whose CI
 * is within the target, else at max_rounds. */
START_TEST(stops_at_ci_target)
{
    bench_experiment e;
    bench_report r;
    ck_assert_int_eq(run(EXP("\"min_rounds\": 6, \"max_rounds\": 25, \"ci_target\": 0.2, "
                             "\"budget_s\": 1000"),
                         &e, &r),
                     0);
    ck_assert_uint_eq(r.ncells, 6);
    unsigned at_ci = 0;
    for (size_t i = 0; i < r.ncells; i++) {
        const bench_cell *c = &r.cells[i];
        ck_assert_msg(c->check_ok, "%s", c->check_msg);
        ck_assert_uint_eq(c->nrounds, c->run_rounds[0]);
        ck_assert_uint_ge(c->nrounds, 6);
        ck_assert_uint_le(c->nrounds, 25);
        for (unsigned k = 6; k < c->nrounds; k++)
            ck_assert_msg(!bench_ci_within(c->times_ns, k, 0.2),
                          "cell %zu went on after round %u, where its CI was within 20%%", i, k);
        if (c->run_stop[0] == BENCH_STOP_CI) {
            ck_assert(bench_ci_within(c->times_ns, c->nrounds, 0.2));
            at_ci++;
        } else {
            ck_assert_int_eq(c->run_stop[0], BENCH_STOP_MAX);
            ck_assert_uint_eq(c->nrounds, 25);
        }
        ck_assert_str_eq(bench_stop_name(c->run_stop[0]),
                         c->run_stop[0] == BENCH_STOP_CI ? "ci_target" : "max_rounds");
    }
    printf("stops_at_ci_target: %u of %zu cells reached the target\n", at_ci, r.ncells);
    ck_assert(!r.incomplete);
    bench_report_free(&r);
    bench_experiment_free(&e);
}
END_TEST

/* budget_s 0: every cell gets exactly its minimum rounds, then the budget
 * stops it (the target 0 is never reached). */
START_TEST(budget_after_minimum)
{
    bench_experiment e;
    bench_report r;
    ck_assert_int_eq(run(EXP("\"min_rounds\": 3, \"max_rounds\": 50, \"ci_target\": 0, "
                             "\"budget_s\": 0"),
                         &e, &r),
                     0);
    every_cell(&r, 3, BENCH_STOP_BUDGET);
    bench_report_free(&r);
    bench_experiment_free(&e);
}
END_TEST

/* "repetitions": a fixed number of rounds for every cell. */
START_TEST(fixed_repetitions)
{
    bench_experiment e;
    bench_report r;
    ck_assert_int_eq(run(EXP("\"repetitions\": 4"), &e, &r), 0);
    every_cell(&r, 4, BENCH_STOP_MAX);
    bench_report_free(&r);
    bench_experiment_free(&e);
}
END_TEST

/* A cell that cannot run stops as failed, without rounds; the others go on. */
START_TEST(failed_cells_stop)
{
    bench_experiment e;
    bench_report r;
    ck_assert_int_eq(
        run("{\"policies\": [{\"policy\": \"fifo\", \"params\": {\"no_such\": 1}}],"
            " \"baselines\": [\"serial\"], \"threads\": [2], \"repetitions\": 2, \"warmup\": 0,"
            " \"cooldown_us\": 0, \"idle_probe_ms\": 0, \"workloads\": [\"empty\"]}",
            &e, &r),
        0);
    ck_assert_uint_eq(r.ncells, 2);
    ck_assert_int_eq(r.cells[0].run_stop[0], BENCH_STOP_MAX); /* serial */
    ck_assert_uint_eq(r.cells[0].nrounds, 2);
    ck_assert_int_eq(r.cells[1].run_stop[0], BENCH_STOP_FAILED);
    ck_assert_uint_eq(r.cells[1].nrounds, 0);
    ck_assert_msg(strstr(r.cells[1].check_msg, "pool creation failed"), "%s",
                  r.cells[1].check_msg);
    bench_report_free(&r);
    bench_experiment_free(&e);
}
END_TEST

/* A stop request before the first cell: nothing more runs, every cell is
 * marked interrupted, and the report says it is incomplete. */
START_TEST(stop_request)
{
    bench_request_stop(SIGINT);
    bench_experiment e;
    bench_report r;
    ck_assert_int_eq(run(EXP("\"repetitions\": 3"), &e, &r), 1);
    bench_request_stop(0);
    ck_assert(r.incomplete);
    ck_assert_msg(strstr(r.incomplete_why, "signal 2"), "%s", r.incomplete_why);
    every_cell(&r, 0, BENCH_STOP_INTERRUPTED);
    bench_report_free(&r);
    bench_experiment_free(&e);
}
END_TEST

/* The sampler counts another process's CPU time on our CPUs as others',
 * and this experiment's own as not: a child spins while we sleep. */
START_TEST(machine_sampler)
{
    bench_machine m;
    bench_machine_init(&m);
    ck_assert_uint_ge(m.ncpu, 1);
    ck_assert_uint_ge(m.affinity_cpus, 1);
    ck_assert(m.affinity[0]);
    ck_assert(!isnan(m.load_before[0]));
    int self = (int)getpid();
    bench_machine_before(&m, &self, 1, 20);
    ck_assert(m.others_before >= 0 && m.others_before <= 1);
    int go[2];
    ck_assert_int_eq(pipe(go), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        char c;
        if (read(go[0], &c, 1) != 1)
            _exit(1);
        uint64_t end = bench_now_ns() + 300000000u;
        volatile uint64_t x = 0;
        while (bench_now_ns() < end)
            x++;
        _exit(0);
    }
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    bench_machine_mark(&m, &self, 1);
    ck_assert_int_eq(write(go[1], "g", 1), 1);
    int st;
    siginfo_t si;
    ck_assert_int_eq(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
    /* the child's CPU time, read before it is reaped */
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
    fclose(f);
    unsigned long long ut = 0, stt = 0;
    ck_assert_int_eq(sscanf(strrchr(buf, ')') + 2,
                            "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &stt),
                     2);
    bench_machine_sample(&m, &self, 1);
    waitpid(pid, &st, 0);
    ck_assert_uint_eq(m.nsamples, 1);
    ck_assert(m.others_cap > 0);
    printf("machine_sampler: the child used %llu ticks; others %.0f of %.0f ticks\n", ut + stt,
           m.others_busy, m.others_cap);
    /* tick accounting of /proc/stat and of the process differ by a tick or two */
    ck_assert_msg(m.others_busy + 3 >= (double)(ut + stt), "others %.0f < the child's %llu",
                  m.others_busy, ut + stt);
    ck_assert(m.others_busy <= m.others_cap);
    ck_assert(!isnan(m.load_max) && m.load_max >= 0);
}
END_TEST

/* The resolved experiment of a plan names concrete thread counts and the
 * policies that run (not "default" and "all"), only the baselines that
 * run, and planned again gives the same cells: what --replay relies on. */
START_TEST(resolved_replays_the_cells)
{
    bench_experiment e;
    bench_perror pe;
    ck_assert_int_eq(bench_experiment_parse(bench_default_experiment, "<default>", &e, &pe), 0);
    bench_report r;
    ck_assert_int_eq(bench_plan(&e, &r, 0, 0, NULL), 0);
    ck_assert_ptr_nonnull(r.resolved);
    ck_assert_msg(!strstr(r.resolved, "\"threads\": \"default\"") &&
                      !strstr(r.resolved, "\"policies\": \"all\""),
                  "%s", r.resolved);
    bench_experiment g;
    ck_assert_msg(bench_experiment_parse(r.resolved, "<resolved>", &g, &pe) == 0, "%s\n%s",
                  pe.text, r.resolved);
    ck_assert(!g.all_policies);
    ck_assert_ptr_nonnull(g.threads);
    ck_assert_uint_eq(g.nthreads, r.nthreads);
    size_t npol = 0;
    for (size_t i = 0; i < r.nexes; i++)
        npol += r.exes[i].kind == BENCH_EX_TPOOL;
    ck_assert_uint_eq(g.npolicies, npol);
    ck_assert_uint_gt(npol, 0);
    bench_report q;
    ck_assert_int_eq(bench_plan(&g, &q, 0, 0, NULL), 0);
    ck_assert_uint_eq(q.ncells, r.ncells);
    ck_assert_uint_eq(q.nexes, r.nexes);
    for (size_t i = 0; i < r.ncells; i++) {
        ck_assert_str_eq(q.exes[q.cells[i].exe].label, r.exes[r.cells[i].exe].label);
        ck_assert_str_eq(q.exes[q.cells[i].exe].path, r.exes[r.cells[i].exe].path);
        ck_assert_uint_eq(q.cells[i].wl, r.cells[i].wl);
        ck_assert_uint_eq(q.cells[i].threads, r.cells[i].threads);
    }
    /* and its own resolved form is the same text */
    ck_assert_str_eq(q.resolved, r.resolved);
    bench_report_free(&q);
    bench_report_free(&r);
    bench_experiment_free(&g);
    bench_experiment_free(&e);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("bench_runner");
    TCase *tc = tcase_create("runner");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, stops_at_ci_target);
    tcase_add_test(tc, budget_after_minimum);
    tcase_add_test(tc, fixed_repetitions);
    tcase_add_test(tc, failed_cells_stop);
    tcase_add_test(tc, stop_request);
    tcase_add_test(tc, machine_sampler);
    tcase_add_test(tc, resolved_replays_the_cells);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
