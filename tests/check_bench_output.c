/* check_bench_output.c - the writers on a hand-made report: the CSV reads
 * back field by field (quoting included), the JSON parses back with jansson
 * and holds what went in (NaN as null), the table names what matters, the
 * Chrome trace is valid JSON with slices and counters, and the plots write
 * their data and script with or without gnuplot. */
#define _GNU_SOURCE
#include <math.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "bench.h"
#include "output.h"
#include "testutil.h"

typedef struct fixture {
    bench_experiment e;
    bench_executor exes[3];
    bench_cell cells[4];
    uint64_t times[4][3];
    double imb[4][3];
    bench_latency lat[4][3];
    bench_wstats ws[3];
    bench_report r;
} fixture;

static fixture fx;

/* Two workloads (uniform; tiny-tasks), executors serial, fifo (with a
 * "steals" counter) and omp-static; one failed check whose message needs
 * CSV quoting. */
static void build(void)
{
    memset(&fx, 0, sizeof fx);
    bench_perror pe;
    ck_assert_int_eq(bench_experiment_parse(
                         "{\"name\": \"fx\", \"workloads\": [\"uniform\", "
                         "{\"workload\": \"tiny-tasks\", \"label\": \"tiny\"}]}",
                         "fx.json", &fx.e, &pe),
                     0);
    bench_executor *x = fx.exes;
    x[0].kind = BENCH_EX_SERIAL;
    strcpy(x[0].label, "serial");
    x[1].kind = BENCH_EX_TPOOL;
    strcpy(x[1].label, "fifo");
    strcpy(x[1].policy, "fifo");
    strcpy(x[1].path, "/p/fifo.so");
    x[1].params_json = strdup("{\"tile\":4}");
    x[2].kind = BENCH_EX_OMP;
    x[2].omp_sched = BENCH_OMP_STATIC;
    strcpy(x[2].label, "omp-static");
    unsigned wl[] = { 0, 0, 0, 1 }, exe[] = { 0, 1, 2, 1 }, th[] = { 1, 2, 2, 2 };
    for (int i = 0; i < 4; i++) {
        bench_cell *c = &fx.cells[i];
        c->wl = wl[i];
        c->exe = exe[i];
        c->threads = th[i];
        c->items = 1000;
        c->nrounds = 3;
        for (int k = 0; k < 3; k++) {
            fx.times[i][k] = (uint64_t)(1000 * (i + 1) + 10 * k);
            fx.imb[i][k] = 1.25;
        }
        c->times_ns = fx.times[i];
        c->imbalance = fx.imb[i];
        c->lat = fx.lat[i];
        c->check_ok = 1;
        c->idle_cpu_ns = NAN;
        c->idle_probe_ns = NAN;
    }
    fx.cells[1].idle_cpu_ns = 2500;
    fx.cells[1].idle_probe_ns = 1e8;
    /* the tiny-tasks cell: latencies, pool statistics, a failed check */
    bench_cell *t = &fx.cells[3];
    for (int k = 0; k < 3; k++)
        fx.lat[3][k] = (bench_latency){ .valid = 1, .p50 = 100, .p90 = 200, .p99 = 300 + k,
                                        .max = 400, .hi_p50 = NAN, .hi_p90 = NAN,
                                        .hi_p99 = NAN, .hi_max = NAN, .lo_max = NAN,
                                        .flow_mean = 500, .flow_p50 = 450, .flow_p99 = 900,
                                        .flow_max = 1000, .slow_mean = 2, .slow_p99 = 5,
                                        .dl_tasks = NAN, .dl_missed = NAN };
    t->nworkers = 2;
    t->ws = fx.ws;
    t->npolicy = 1;
    strcpy(t->policy_names[0], "steals");
    fx.ws[0] = (bench_wstats){ 30, 0, 600, 300, 3, 3, { 9 } };
    fx.ws[2] = (bench_wstats){ 0, 0, 300, 0, 0, 0, { 3 } };
    t->check_ok = 0;
    strcpy(t->check_msg, "task 7 ran twice, said \"the pool\"");
    fx.r.exp = &fx.e;
    fx.r.exes = fx.exes;
    fx.r.nexes = 3;
    fx.r.cells = fx.cells;
    fx.r.ncells = 4;
    strcpy(fx.r.meta.cpu_model, "Test CPU");
    fx.r.meta.nproc = 2;
    fx.r.meta.default_threads = 2;
    strcpy(fx.r.meta.git_rev, "abc");
    bench_baselines_probe(fx.r.base, BENCH_BASE_ALL);
    bench_report_derive(&fx.r);
}

static void teardown(void)
{
    free(fx.exes[1].params_json);
    bench_experiment_free(&fx.e);
}

/* What each writer makes of r: the table and the CSV as text (free them),
 * the JSON parsed (json_decref it). */
static char *table_of(const bench_report *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    bench_write_table(f, r);
    fclose(f);
    return buf;
}

static char *csv_of(const bench_report *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(bench_write_csv(f, r), 0);
    fclose(f);
    return buf;
}

static json_t *json_of(const bench_report *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(bench_write_json(f, r), 0);
    fclose(f);
    json_error_t je;
    json_t *root = json_loads(buf, JSON_REJECT_DUPLICATES, &je);
    ck_assert_msg(root != NULL, "%d:%d: %s", je.line, je.column, je.text);
    free(buf);
    return root;
}

/* Splits one CSV record (RFC 4180) into fields; returns the count. */
static size_t csv_split(const char *line, char fields[][256], size_t max)
{
    size_t n = 0;
    const char *p = line;
    while (n < max) {
        size_t k = 0;
        if (*p == '"') {
            p++;
            while (*p && !(*p == '"' && p[1] != '"')) {
                if (*p == '"')
                    p++;
                if (k < 255)
                    fields[n][k++] = *p;
                p++;
            }
            if (*p == '"')
                p++;
        } else {
            while (*p && *p != ',' && *p != '\n') {
                if (k < 255)
                    fields[n][k++] = *p;
                p++;
            }
        }
        fields[n++][k] = '\0';
        if (*p != ',')
            break;
        p++;
    }
    return n;
}

static int col(const char *name)
{
    for (size_t i = 0; i < bench_csv_ncolumns(); i++)
        if (strcmp(bench_csv_column(i), name) == 0)
            return (int)i;
    ck_abort_msg("no column %s", name);
    return -1;
}

START_TEST(csv)
{
    build();
    char *buf = csv_of(&fx.r);
    static char fields[96][256];
    char *save = NULL;
    char *line = strtok_r(buf, "\n", &save);
    size_t nc = csv_split(line, fields, 96);
    ck_assert_uint_eq(nc, bench_csv_ncolumns());
    for (size_t i = 0; i < nc; i++)
        ck_assert_str_eq(fields[i], bench_csv_column(i));
    size_t rows = 0;
    while ((line = strtok_r(NULL, "\n", &save))) {
        ck_assert_uint_eq(csv_split(line, fields, 96), nc);
        if (rows == 1) { /* fifo, uniform, T=2 */
            ck_assert_str_eq(fields[col("workload")], "uniform");
            ck_assert_str_eq(fields[col("executor")], "fifo");
            ck_assert_str_eq(fields[col("executor_kind")], "policy");
            ck_assert_str_eq(fields[col("threads")], "2");
            ck_assert_str_eq(fields[col("median_ns_per_run")], "2010");
            ck_assert_str_eq(fields[col("min_ns_per_run")], "2000");
            ck_assert_str_eq(fields[col("speedup_vs_serial")], "0.502488");
            ck_assert_str_eq(fields[col("imbalance")], "1.25");
            ck_assert_str_eq(fields[col("task_lat_p99_ns")], ""); /* does not apply */
            ck_assert_str_eq(fields[col("idle_cpu_ns_per_window")], "2500");
            ck_assert_str_eq(fields[col("check_ok")], "1");
        }
        if (rows == 3) { /* tiny-tasks on fifo */
            ck_assert_str_eq(fields[col("workload")], "tiny");
            ck_assert_str_eq(fields[col("workload_type")], "tiny-tasks");
            ck_assert_str_eq(fields[col("task_lat_p99_ns")], "301");
            ck_assert_str_eq(fields[col("steals_per_run")], "4"); /* (9 + 3) / 3 rounds */
            ck_assert_str_eq(fields[col("parks_per_run")], "1");
            ck_assert_str_eq(fields[col("busy_ns_per_run")], "300");
            ck_assert_str_eq(fields[col("check_ok")], "0");
            ck_assert_str_eq(fields[col("check_message")], "task 7 ran twice, said \"the pool\"");
        }
        rows++;
    }
    ck_assert_uint_eq(rows, 4);
    free(buf);
    teardown();
}
END_TEST

START_TEST(json)
{
    build();
    json_t *root = json_of(&fx.r);
    ck_assert_str_eq(json_string_value(json_object_get(root, "schema")), BENCH_SCHEMA);
    json_t *meta = json_object_get(root, "meta");
    ck_assert_str_eq(json_string_value(json_object_get(meta, "cpu_model")), "Test CPU");
    ck_assert_int_eq(json_integer_value(json_object_get(meta, "nproc")), 2);
    ck_assert_ptr_nonnull(json_object_get(meta, "kernel"));
    ck_assert_ptr_nonnull(json_object_get(meta, "compiler"));
    ck_assert_str_eq(json_string_value(json_object_get(meta, "git_revision")), "abc");
    json_t *exp = json_object_get(root, "experiment");
    ck_assert_str_eq(json_string_value(json_object_get(exp, "name")), "fx");
    ck_assert_uint_eq(json_array_size(json_object_get(root, "baselines")), BENCH_NBASE);
    json_t *exes = json_object_get(root, "executors");
    ck_assert_uint_eq(json_array_size(exes), 3);
    json_t *x1 = json_array_get(exes, 1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(x1, "params"), "tile")), 4);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(exes, 2), "schedule")),
                     "static");
    json_t *cells = json_object_get(root, "cells");
    ck_assert_uint_eq(json_array_size(cells), 4);
    json_t *c1 = json_array_get(cells, 1);
    ck_assert_str_eq(json_string_value(json_object_get(c1, "executor")), "fifo");
    ck_assert_uint_eq(json_array_size(json_object_get(c1, "times_ns_per_run")), 3);
    ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(c1, "times_ns_per_run"), 2)), 2020);
    json_t *t = json_object_get(c1, "time_ns_per_run");
    ck_assert(json_real_value(json_object_get(t, "median")) == 2010);
    ck_assert(json_is_null(json_object_get(c1, "task_latency_ns")));
    ck_assert(json_is_null(json_object_get(c1, "workers_per_run")));
    ck_assert(json_number_value(json_object_get(json_object_get(c1, "idle_cpu"), "cpu_ns")) == 2500);
    /* the serial cell has no 1-thread... it is its own reference: 1 */
    json_t *c0 = json_array_get(cells, 0);
    ck_assert(json_real_value(json_object_get(c0, "speedup_vs_serial")) == 1);
    ck_assert(json_is_null(json_object_get(c0, "idle_cpu")));
    json_t *c3 = json_array_get(cells, 3);
    json_t *lat = json_object_get(c3, "task_latency_ns");
    ck_assert(json_real_value(json_object_get(lat, "p99")) == 301);
    ck_assert(json_is_null(json_object_get(lat, "high")));
    json_t *w = json_object_get(c3, "workers_per_run");
    ck_assert_uint_eq(json_array_size(w), 3);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(w, 2), "worker")), "outside");
    ck_assert(json_real_value(json_object_get(json_object_get(json_array_get(w, 0), "policy"),
                                              "steals")) == 3);
    ck_assert(json_is_false(json_object_get(json_object_get(c3, "check"), "ok")));
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(c3, "check"), "message")),
                     "task 7 ran twice, said \"the pool\"");
    /* workloads carry their parameters */
    json_t *wl = json_array_get(json_object_get(root, "workloads"), 1);
    ck_assert_str_eq(json_string_value(json_object_get(wl, "workload")), "tiny-tasks");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(wl, "params"), "n")),
                     1000000);
    json_decref(root);
    teardown();
}
END_TEST

START_TEST(table)
{
    build();
    char *buf = table_of(&fx.r);
    ck_assert_msg(strstr(buf, "== uniform (uniform: n=10000, item_ns=2000) =="), "%s", buf);
    ck_assert(strstr(buf, "== tiny (tiny-tasks"));
    ck_assert(strstr(buf, "CHECK FAILED: task 7 ran twice"));
    ck_assert(strstr(buf, "task latency p50 100ns p99 301ns"));
    ck_assert(strstr(buf, "steals 4/run;"));
    ck_assert(strstr(buf, "omp-static"));
    free(buf);
    teardown();
}
END_TEST

/* A report of one executor on three workloads: a parallel-for of one call
 * (uniform), one that repeats 500 calls (empty) and tasks (tiny-tasks). */
static struct {
    bench_experiment e;
    bench_executor x;
    bench_cell cells[3];
    uint64_t times[3][7];
    double imb[3][7];
    bench_latency lat[3][7];
    bench_report r;
} ux;

static void build_units(void)
{
    memset(&ux, 0, sizeof ux);
    bench_perror pe;
    ck_assert_int_eq(bench_experiment_parse(
                         "{\"workloads\": [\"uniform\", {\"workload\": \"empty\", \"label\": \"e\", "
                         "\"params\": {\"calls\": 500}}, \"tiny-tasks\"]}",
                         "units.json", &ux.e, &pe),
                     0);
    ux.x.kind = BENCH_EX_TPOOL;
    strcpy(ux.x.label, "fifo");
    strcpy(ux.x.policy, "fifo");
    for (unsigned i = 0; i < 3; i++) {
        bench_cell *c = &ux.cells[i];
        c->wl = i;
        c->threads = 2;
        c->items = 1000;
        c->nrounds = 7;
        for (int k = 0; k < 7; k++) {
            ux.times[i][k] = 500000 + 1000 * (uint64_t)k; /* median 503000 */
            ux.imb[i][k] = NAN;
        }
        c->times_ns = ux.times[i];
        c->imbalance = ux.imb[i];
        c->lat = ux.lat[i];
        c->check_ok = 1;
        c->idle_cpu_ns = c->idle_probe_ns = NAN;
    }
    ux.r.exp = &ux.e;
    ux.r.exes = &ux.x;
    ux.r.nexes = 1;
    ux.r.cells = ux.cells;
    ux.r.ncells = 3;
    bench_report_derive(&ux.r);
}

/* Every column with a time or count names its unit: per run, per call,
 * per item, per window, or a figure over tasks. */
START_TEST(units_csv)
{
    static const char *const units[] = { "_per_run", "_per_call", "_per_item", "_per_window",
                                         "_per_s" };
    for (size_t i = 0; i < bench_csv_ncolumns(); i++) {
        const char *n = bench_csv_column(i);
        if (!strstr(n, "_ns") && !strstr(n, "throughput") && !strstr(n, "parks") &&
            !strstr(n, "wakes") && !strstr(n, "steals"))
            continue;
        int ok = strncmp(n, "task_", 5) == 0 || strncmp(n, "high_task_", 10) == 0 ||
                 strncmp(n, "low_task_", 9) == 0 || strcmp(n, "idle_window_ns") == 0;
        for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
            ok |= strstr(n, units[k]) != NULL;
        ck_assert_msg(ok, "CSV column %s does not say per what", n);
    }
    build_units();
    char *buf = csv_of(&ux.r);
    static char fields[96][256];
    char *save = NULL;
    strtok_r(buf, "\n", &save);
    const char *want_calls[] = { "1", "500", "" }, *want_call[] = { "503000", "1006", "" };
    for (int row = 0; row < 3; row++) {
        char *line = strtok_r(NULL, "\n", &save);
        ck_assert_ptr_nonnull(line);
        csv_split(line, fields, 96);
        ck_assert_str_eq(fields[col("median_ns_per_run")], "503000");
        ck_assert_str_eq(fields[col("calls_per_run")], want_calls[row]);
        ck_assert_str_eq(fields[col("median_ns_per_call")], want_call[row]);
        ck_assert_str_eq(fields[col("median_ns_per_item")], "503");
        ck_assert_str_eq(fields[col("items_per_run")], "1000");
    }
    free(buf);
    bench_experiment_free(&ux.e);
}
END_TEST

START_TEST(units_json_and_table)
{
    build_units();
    json_t *root = json_of(&ux.r);
    json_t *cells = json_object_get(root, "cells");
    json_t *e = json_array_get(cells, 1), *tiny = json_array_get(cells, 2);
    ck_assert(json_number_value(json_object_get(e, "calls_per_run")) == 500);
    json_t *pc = json_object_get(e, "time_ns_per_call");
    ck_assert(json_number_value(json_object_get(pc, "median")) == 1006);
    ck_assert(json_number_value(json_object_get(pc, "min")) == 1000);
    ck_assert(json_number_value(json_object_get(json_object_get(e, "time_ns_per_run"),
                                                "median")) == 503000);
    ck_assert(json_number_value(json_object_get(e, "time_ns_per_item")) == 503);
    ck_assert(json_is_null(json_object_get(tiny, "time_ns_per_call")));
    ck_assert(json_is_null(json_object_get(tiny, "calls_per_run")));
    /* no unit-less time field is left */
    ck_assert_ptr_null(json_object_get(e, "times_ns"));
    ck_assert_ptr_null(json_object_get(e, "time_ns"));
    json_decref(root);

    char *buf = table_of(&ux.r);
    ck_assert_msg(strstr(buf, "one run = 500 calls, 1000 items (calls x range)"), "%s", buf);
    ck_assert(strstr(buf, "median/run"));
    ck_assert(strstr(buf, "median/call"));
    ck_assert(strstr(buf, "median/task"));
    ck_assert(strstr(buf, "1.01us")); /* 503 us per run / 500 calls */
    free(buf);
    bench_experiment_free(&ux.e);
}
END_TEST

START_TEST(trace)
{
    char path[] = "/tmp/check_bench_traceXXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    bench_trace *t = bench_trace_open(path);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(bench_rec_reset(1, 4, 16), 0);
    bench_rec_span(0, 1000, 5000, 0);
    bench_rec_span(1, 2000, 3000, 8);
    bench_rec_span(1, 3000, 4000, 16);
    bench_wstats ws[2] = { { 0, 0, 0, 0, 2, 1, { 5 } }, { 0 } };
    char names[1][32] = { "steals" };
    bench_trace_add_run(t, "uniform | \"fifo\" | T=2", 1000, 6000, ws, 2,
                        (const char (*)[32])names, 1);
    bench_rec_reset(1, 4, 16);
    bench_trace_add_run(t, "second", 7000, 8000, NULL, 0, NULL, 0);
    bench_meta m;
    memset(&m, 0, sizeof m);
    ck_assert_int_eq(bench_trace_close(t, &m), 0);
    bench_rec_free();
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    ck_assert_msg(root != NULL, "%d:%d: %s", je.line, je.column, je.text);
    json_t *ev = json_object_get(root, "traceEvents");
    size_t i, slices = 0, counters = 0, names_seen = 0, pids = 0;
    json_t *e;
    json_array_foreach(ev, i, e) {
        const char *ph = json_string_value(json_object_get(e, "ph"));
        const char *name = json_string_value(json_object_get(e, "name"));
        if (strcmp(ph, "X") == 0 && strcmp(name, "work") == 0) {
            slices++;
            if (json_integer_value(json_object_get(json_object_get(e, "args"), "first")) == 16) {
                ck_assert(json_real_value(json_object_get(e, "ts")) == 2.0);
                ck_assert(json_real_value(json_object_get(e, "dur")) == 1.0);
                ck_assert_int_eq(json_integer_value(json_object_get(e, "tid")), 2);
            }
        }
        if (strcmp(ph, "C") == 0 && json_object_get(json_object_get(e, "args"), "steals"))
            counters++;
        if (strcmp(ph, "M") == 0 && strcmp(name, "process_name") == 0) {
            names_seen++;
            if (pids++ == 0)
                ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "args"),
                                                                   "name")),
                                 "uniform | \"fifo\" | T=2");
        }
    }
    ck_assert_uint_eq(slices, 3);
    ck_assert_uint_eq(counters, 4); /* 2 workers x (start, end) */
    ck_assert_uint_eq(names_seen, 2);
    ck_assert_str_eq(json_string_value(json_object_get(root, "displayTimeUnit")), "ns");
    json_decref(root);
    unlink(path);
}
END_TEST

static int exists(const char *dir, const char *name)
{
    char p[1024];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &st) == 0 && st.st_size > 0;
}

static void rm_dir(const char *dir)
{
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* The steals total adds every counter named steals or *_steals (the
 * stealing policy's range_steals), and nothing else. */
START_TEST(steals_total)
{
    build();
    bench_cell *t = &fx.cells[3];
    t->npolicy = 3;
    strcpy(t->policy_names[1], "parks_extra");
    strcpy(t->policy_names[2], "range_steals");
    fx.ws[0].policy[1] = 100;
    fx.ws[0].policy[2] = 5;
    fx.ws[2].policy[1] = 100;
    fx.ws[2].policy[2] = 1;
    bench_totals tot;
    bench_cell_totals(t, &tot);
    ck_assert_double_eq_tol(tot.steals, (9 + 3 + 5 + 1) / 3.0, 1e-9);
    /* a policy without such counters has no steals figure */
    strcpy(t->policy_names[0], "queued");
    strcpy(t->policy_names[2], "steals_tried_x");
    bench_cell_totals(t, &tot);
    ck_assert(isnan(tot.steals));
    teardown();
}
END_TEST

START_TEST(plots_without_gnuplot)
{
    build();
    char dir[] = "/tmp/check_bench_plotXXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char *path = strdup(getenv("PATH") ? getenv("PATH") : "");
    setenv("PATH", "/nonexistent", 1);
    int rc = bench_write_plots(dir, &fx.r);
    setenv("PATH", path, 1);
    free(path);
    ck_assert_int_eq(rc, 0); /* no gnuplot: data and script only */
    ck_assert(exists(dir, "plots.gp"));
    ck_assert(exists(dir, "speedup_uniform.dat"));
    ck_assert(exists(dir, "makespan_fifo.dat"));
    ck_assert(!exists(dir, "speedup_uniform.svg"));
    rm_dir(dir);
    teardown();
}
END_TEST

START_TEST(plots_with_gnuplot)
{
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
        printf("plots_with_gnuplot: skipped, gnuplot is not installed\n");
        return;
    }
    build();
    char dir[] = "/tmp/check_bench_plotXXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(bench_write_plots(dir, &fx.r), 1);
    ck_assert(exists(dir, "speedup_uniform.svg"));
    ck_assert(exists(dir, "makespan_fifo.svg"));
    rm_dir(dir);
    teardown();
}
END_TEST

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Files in dir whose name starts with a dot (temporary files). */
static int hidden_files(const char *dir)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | grep -q '^\\.'", dir);
    return system(cmd) == 0;
}

/* A write that fails half-way (a file size limit stands in for a full
 * disk or an interrupted run) leaves the previous result file whole, and
 * no temporary file behind; one that succeeds replaces it. */
START_TEST(atomic_result_files)
{
    build();
    char dir[] = "/tmp/check_bench_atomicXXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[1100];
    snprintf(path, sizeof path, "%s/tpool-bench.json", dir);
    FILE *f = fopen(path, "w");
    fputs("{\"old\": true}\n", f);
    fclose(f);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = { 200, 200 };
        setrlimit(RLIMIT_FSIZE, &rl);
        _exit(bench_write_json_file(path, &fx.r) == 0 ? 0 : 3);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 3, "the limited write did not fail");
    ck_assert_str_eq(slurp(path), "{\"old\": true}\n");
    ck_assert_msg(!hidden_files(dir), "a temporary file was left in %s", dir);
    /* unlimited, it replaces the file */
    ck_assert_int_eq(bench_write_json_file(path, &fx.r), 0);
    ck_assert_ptr_nonnull(strstr(slurp(path), "\"schema\": \"tpool-bench/"));
    ck_assert(!hidden_files(dir));
    snprintf(path, sizeof path, "%s/t.csv", dir);
    ck_assert_int_eq(bench_write_csv_file(path, &fx.r), 0);
    ck_assert_ptr_nonnull(strstr(slurp(path), "workload,workload_type,"));
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    mode_t mask = umask(0);
    umask(mask);
    ck_assert_uint_eq(sb.st_mode & 0777, 0666 & ~mask); /* as fopen would make it */
    /* a directory in the way: an error, nothing written */
    snprintf(path, sizeof path, "%s/sub", dir);
    ck_assert_int_eq(mkdir(path, 0777), 0);
    ck_assert_int_ne(bench_write_csv_file(path, &fx.r), 0);
    rm_dir(dir);
    teardown();
}
END_TEST

/* Destinations are checked before a run: a directory is made with its
 * parents; a file in the way, or a missing directory for a file, is an
 * error that says where. */
START_TEST(destination_checks)
{
    char dir[] = "/tmp/check_bench_destXXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char p[1100], why[1400];
    snprintf(p, sizeof p, "%s/a/b/c", dir);
    ck_assert_int_eq(bench_out_check_dir(p, why, sizeof why), 0);
    struct stat st;
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    ck_assert(!hidden_files(p)); /* the probe file is gone */
    snprintf(p, sizeof p, "%s/file", dir);
    FILE *f = fopen(p, "w");
    fclose(f);
    snprintf(p, sizeof p, "%s/file/sub", dir);
    ck_assert_int_ne(bench_out_check_dir(p, why, sizeof why), 0);
    ck_assert_msg(strstr(why, "cannot create") && strstr(why, "file/sub"), "%s", why);
    snprintf(p, sizeof p, "%s/none/x.json", dir);
    ck_assert_int_ne(bench_out_check_file(p, why, sizeof why), 0);
    ck_assert_msg(strstr(why, "cannot create files in") && strstr(why, "/none"), "%s", why);
    snprintf(p, sizeof p, "%s/a", dir);
    ck_assert_int_ne(bench_out_check_file(p, why, sizeof why), 0);
    ck_assert_msg(strstr(why, "is a directory"), "%s", why);
    snprintf(p, sizeof p, "%s/ok.json", dir);
    ck_assert_int_eq(bench_out_check_file(p, why, sizeof why), 0);
    ck_assert_int_ne(access(p, F_OK), 0); /* checked, not created */
    rm_dir(dir);
}
END_TEST

/* The plots directory ends with this run's plots only: an earlier run's
 * plot that this run does not make is removed, other files are kept. */
START_TEST(plots_replace_old)
{
    build();
    char dir[] = "/tmp/check_bench_plotXXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char p[1100];
    const char *old[] = { "speedup_gone.svg", "speedup_gone.dat", "notes.txt",
                          "speedup_uniform.dat" };
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, old[i]);
        FILE *f = fopen(p, "w");
        fputs("old\n", f);
        fclose(f);
    }
    char *path = strdup(getenv("PATH") ? getenv("PATH") : "");
    setenv("PATH", "/nonexistent", 1);
    int rc = bench_write_plots(dir, &fx.r);
    setenv("PATH", path, 1);
    free(path);
    ck_assert_int_eq(rc, 0);
    ck_assert(!exists(dir, "speedup_gone.svg"));
    ck_assert(!exists(dir, "speedup_gone.dat"));
    ck_assert(exists(dir, "notes.txt"));
    snprintf(p, sizeof p, "%s/speedup_uniform.dat", dir);
    ck_assert_str_ne(slurp(p), "old\n");
    ck_assert(exists(dir, "plots.gp"));
    ck_assert_msg(!hidden_files(dir), "the temporary plot directory was left");
    rm_dir(dir);
    teardown();
}
END_TEST

/* The machine's warnings: each condition past its threshold gives one,
 * in the table and the JSON; below it, none. */
START_TEST(machine_warnings)
{
    build();
    bench_machine *m = &fx.r.machine;
    memset(m, 0, sizeof *m);
    m->ncpu = 4;
    snprintf(m->affinity, sizeof m->affinity, "0-3");
    m->load_before[0] = 1.9; /* 0.475 per CPU: below 0.5 */
    m->load_max = NAN;
    m->others_before = 0.04;
    m->others_busy = 1;
    m->others_cap = 100;
    m->others_max = 0.02;
    snprintf(m->governors, sizeof m->governors, "performance");
    bench_report_derive(&fx.r);
    for (unsigned i = 0; i < fx.r.nwarnings; i++)
        ck_assert_msg(strcmp(fx.r.warnings[i].kind, "load") != 0 &&
                          strcmp(fx.r.warnings[i].kind, "governor") != 0 &&
                          strcmp(fx.r.warnings[i].kind, "not_alone") != 0,
                      "warned: %s", fx.r.warnings[i].text);
    m->load_before[0] = 2.1;
    m->load_max = 3;
    m->others_busy = 8; /* 8% during */
    snprintf(m->governors, sizeof m->governors, "powersave");
    bench_report_derive(&fx.r);
    int load = 0, gov = 0, alone = 0;
    for (unsigned i = 0; i < fx.r.nwarnings; i++) {
        const bench_warning *w = &fx.r.warnings[i];
        load += strcmp(w->kind, "load") == 0;
        gov += strcmp(w->kind, "governor") == 0 && strstr(w->text, "powersave");
        alone += strcmp(w->kind, "not_alone") == 0 && strstr(w->text, "8% while measuring");
    }
    ck_assert_int_eq(load, 2); /* before and during */
    ck_assert_int_eq(gov, 1);
    ck_assert_int_eq(alone, 1);

    char *buf = table_of(&fx.r);
    ck_assert_msg(strstr(buf, "WARNING: the CPU frequency governor is powersave"), "%s", buf);
    ck_assert(strstr(buf, "WARNING: the load average was 2.10 before the run"));
    free(buf);
    json_t *root = json_of(&fx.r);
    json_t *w = json_object_get(root, "warnings");
    ck_assert_uint_ge(json_array_size(w), 4);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(w, 0), "kind")), "load");
    json_t *mj = json_object_get(root, "machine");
    ck_assert_str_eq(json_string_value(json_object_get(mj, "governors")), "powersave");
    ck_assert(json_real_value(json_object_get(mj, "others_during")) == 0.08);
    json_decref(root);
    teardown();
}
END_TEST

/* A cell whose CI is wider than 10% of its median, or that has an outlier
 * round, says so in its notes, its CSV row and its JSON warnings. */
START_TEST(cell_flags)
{
    build();
    /* fifo on uniform: 10 rounds, one of them 50 times slower */
    static uint64_t t[10] = { 2000, 2010, 2020, 2005, 2015, 2008, 2012, 100000, 2003, 2018 };
    static double imb[10];
    static bench_latency lat[10];
    bench_cell *c = &fx.cells[1];
    c->times_ns = t;
    c->imbalance = imb;
    c->lat = lat;
    c->nrounds = 10;
    /* omp-static: 7 rounds spread over a factor 2 */
    static uint64_t u[7] = { 1000, 1300, 1600, 1900, 2000, 1100, 1700 };
    fx.cells[2].times_ns = u;
    fx.cells[2].nrounds = 7;
    fx.cells[2].imbalance = imb;
    fx.cells[2].lat = lat;
    bench_report_derive(&fx.r);
    ck_assert(c->flags & BENCH_FLAG_OUTLIERS);
    ck_assert_uint_eq(c->noutliers, 1);
    ck_assert(!(c->flags & BENCH_FLAG_WIDE_CI)); /* ranks 2..9 leave the slow round out */
    ck_assert(fx.cells[2].flags & BENCH_FLAG_WIDE_CI);
    char *buf = table_of(&fx.r);
    ck_assert_msg(strstr(buf, "1 outlier round;"), "%s", buf);
    ck_assert(strstr(buf, "WIDE CI ("));
    ck_assert(strstr(buf, "WARNING: 1 of 4 cells have a 95% CI wider than 10%"));
    free(buf);
    json_t *root = json_of(&fx.r);
    json_t *cells = json_object_get(root, "cells");
    json_t *c1 = json_array_get(cells, 1), *c2 = json_array_get(cells, 2);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(c1, "warnings"), 0)),
                     "outliers");
    json_t *run = json_array_get(json_object_get(c1, "runs"), 0);
    ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(run, "outliers"), 0)), 7);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(c2, "warnings"), 0)),
                     "wide_ci");
    json_decref(root);
    buf = csv_of(&fx.r);
    ck_assert_msg(strstr(buf, ",1,outliers,1,"), "%s", buf);
    ck_assert(strstr(buf, ",0,wide_ci,1,"));
    free(buf);
    teardown();
}
END_TEST

static int file_has(const char *dir, const char *name, const char *text)
{
    char p[1100];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    const char *s = slurp(p);
    return s && strstr(s, text) != NULL;
}

/* Every point has its interval (value, low, high columns, drawn as error
 * bars), every executor its own colour and marker in every plot, and the
 * micro-benchmarks are plotted apart from the real workloads. */
START_TEST(plots_with_uncertainty)
{
    build();
    char dir[] = "/tmp/check_bench_plotXXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char *path = strdup(getenv("PATH") ? getenv("PATH") : "");
    setenv("PATH", "/nonexistent", 1);
    ck_assert_int_eq(bench_write_plots(dir, &fx.r), 0);
    setenv("PATH", path, 1);
    free(path);
    /* speedup: threads, then value, low and high per executor */
    char p[1100];
    snprintf(p, sizeof p, "%s/speedup_uniform.dat", dir);
    char *dat = strdup(slurp(p));
    ck_assert_msg(strstr(dat, "# threads fifo fifo_lo fifo_hi omp-static omp-static_lo "
                              "omp-static_hi"),
                  "%s", dat);
    double t, v[6];
    const char *row = strchr(strchr(dat, '\n') + 1, '\n') + 1; /* T = 2 */
    ck_assert_int_eq(sscanf(row, "%lf %lf %lf %lf %lf %lf %lf", &t, &v[0], &v[1], &v[2], &v[3],
                            &v[4], &v[5]),
                     7);
    ck_assert(v[1] <= v[0] && v[0] <= v[2] && v[1] < v[2]); /* fifo: low <= speedup <= high */
    ck_assert(v[4] <= v[3] && v[3] <= v[5]);
    free(dat);
    snprintf(p, sizeof p, "%s/plots.gp", dir);
    char *gp = strdup(slurp(p));
    ck_assert_msg(strstr(gp, "with yerrorlines ls 2 title 'fifo'"), "%s", gp);
    ck_assert(strstr(gp, "with yerrorlines ls 3 title 'omp-static'"));
    ck_assert(strstr(gp, "set style histogram errorbars"));
    /* one style per executor, no two alike */
    char style[3][128];
    for (int x = 0; x < 3; x++) {
        char key[32];
        snprintf(key, sizeof key, "set style line %d ", x + 1);
        const char *l = strstr(gp, key);
        ck_assert_msg(l, "no style %d", x + 1);
        snprintf(style[x], sizeof style[x], "%.*s", (int)strcspn(l + strlen(key), "\n"),
                 l + strlen(key));
    }
    ck_assert_str_ne(style[1], style[2]);
    ck_assert_str_ne(style[0], style[1]);
    free(gp);
    /* micro-benchmarks (tiny-tasks here) apart from the real workloads */
    ck_assert(file_has(dir, "makespan_fifo.dat", "uniform"));
    ck_assert(!file_has(dir, "makespan_fifo.dat", "tiny"));
    ck_assert(file_has(dir, "makespan_fifo_micro.dat", "tiny"));
    ck_assert(!file_has(dir, "makespan_fifo_micro.dat", "uniform"));
    ck_assert(!exists(dir, "makespan_omp-static_micro.dat")); /* no micro cells */
    ck_assert(bench_wl_is_micro(bench_workload_find("bulk")));
    ck_assert(bench_wl_is_micro(bench_workload_find("empty")));
    ck_assert(!bench_wl_is_micro(bench_workload_find("tiled-gemm")));
    rm_dir(dir);
    teardown();
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("bench_output");
    TCase *tc = tcase_create("output");
    tcase_add_test(tc, csv);
    tcase_add_test(tc, json);
    tcase_add_test(tc, table);
    tcase_add_test(tc, units_csv);
    tcase_add_test(tc, units_json_and_table);
    tcase_add_test(tc, trace);
    tcase_add_test(tc, steals_total);
    tcase_add_test(tc, plots_without_gnuplot);
    tcase_add_test(tc, plots_with_gnuplot);
    tcase_add_test(tc, atomic_result_files);
    tcase_add_test(tc, destination_checks);
    tcase_add_test(tc, plots_replace_old);
    tcase_add_test(tc, machine_warnings);
    tcase_add_test(tc, cell_flags);
    tcase_add_test(tc, plots_with_uncertainty);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
