/* check_bench_runner.c - the measuring loop on small experiments: the
 * stopping rule (a cell stops at the first round its CI is within the
 * target, at max_rounds, when the budget is spent after the minimum, or
 * when it fails), fixed repetitions, and a stop request. Whatever the
 * machine's load, each cell's stop must be the one the rule gives for the
 * times it measured. */
#define _GNU_SOURCE
#include <math.h>
#include <signal.h>

#include "bench.h"
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
    for (size_t i = 0; i < r.ncells; i++) {
        ck_assert_uint_eq(r.cells[i].nrounds, 3);
        ck_assert_int_eq(r.cells[i].run_stop[0], BENCH_STOP_BUDGET);
    }
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
    for (size_t i = 0; i < r.ncells; i++) {
        ck_assert_uint_eq(r.cells[i].nrounds, 4);
        ck_assert_int_eq(r.cells[i].run_stop[0], BENCH_STOP_MAX);
    }
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
    for (size_t i = 0; i < r.ncells; i++) {
        ck_assert_uint_eq(r.cells[i].nrounds, 0);
        ck_assert_int_eq(r.cells[i].run_stop[0], BENCH_STOP_INTERRUPTED);
    }
    bench_report_free(&r);
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
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
