/*
 * check_bench_wlmodule.c - workloads from shared objects (tpool-bench.h):
 * a good module loads, runs on every executor that offers what it uses,
 * reports its metric, and appears in the results with its file; each broken
 * module (tests/modules/wl_broken.c) is refused with a message naming the
 * file and the fault, a crashing setup in the child that tries it, and the
 * process loads and runs a good module afterwards; a module given in an
 * experiment gets the positioned errors of a policy's parameters; and the
 * results list exactly the policies and workloads that ran.
 */
#define _GNU_SOURCE
#include <math.h>
#include <unistd.h>

#include <jansson.h>

#include "bench.h"
#include "output.h"
#include "params.h"
#include "testutil.h"

static const char *module(const char *name)
{
    static char path[1024];
    const char *dir = getenv("TPOOL_TEST_MODULES");
    ck_assert_msg(dir && *dir, "TPOOL_TEST_MODULES is not set");
    snprintf(path, sizeof path, "%.900s/%s.so", dir, name);
    return path;
}

/* Loads wl_ok and runs it once serially: the process is still usable. */
static void good_module_works(void)
{
    bench_wl_module *m;
    tpool_error te;
    tpool_error_clear(&te);
    ck_assert_msg(bench_wl_module_load(module("wl_ok"), &m, &te) == 0, "%s", te.text);
    bench_wl_inst w = { .wl = m->wl, .mod = m };
    bench_wl_defaults(&w);
    char err[128] = "";
    tpool_bench_env env;
    bench_env_init(&env);
    env.params = w.p;
    env.seed = 1;
    env.max_threads = 1;
    env.errbuf = err;
    env.errbuf_size = sizeof err;
    void *state;
    ck_assert_msg(m->wl->setup(&env, &state) == 0, "%s", err);
    bench_exec ex = { .kind = BENCH_EX_SERIAL, .threads = 1 };
    bench_exec_init(&ex, "serial");
    m->wl->prepare(state, &ex.pub);
    bench_rec_reset(0, 0, 0);
    ck_assert_int_eq(bench_exec_run(&ex, m->wl, state), 0);
    char msg[256] = "";
    ck_assert_msg(bench_rec_check_dispatched(msg, sizeof msg) == 0, "%s", msg);
    ck_assert_msg(m->wl->check(state, &ex.pub, msg, sizeof msg) == 0, "%s", msg);
    double v = NAN;
    m->wl->metrics_read(state, &ex.pub, &v);
    ck_assert(v == 30 * 21); /* 20 tasks and run's own call, 30 items each */
    m->wl->teardown(state);
    bench_wl_module_unload(m);
}

START_TEST(good)
{
    bench_wl_module *m;
    tpool_error te;
    tpool_error_clear(&te);
    ck_assert_msg(bench_wl_module_load(module("wl_ok"), &m, &te) == 0, "%s", te.text);
    ck_assert_str_eq(m->wl->name, "wl-ok");
    ck_assert(m->path[0] == '/');
    ck_assert_uint_eq(m->wl->nparams, 6);
    ck_assert_uint_eq(m->wl->nmetrics, 1);
    ck_assert_str_eq(m->wl->size_param, "n");
    /* twice at once: each load is its own */
    bench_wl_module *m2;
    ck_assert_msg(bench_wl_module_load(module("wl_ok"), &m2, &te) == 0, "%s", te.text);
    bench_wl_module_unload(m2);
    bench_wl_module_unload(m);
    /* the child that tries it with its defaults is content */
    ck_assert_int_eq(bench_wl_module_probe(module("wl_ok"), NULL, 1, &te), 0);
    good_module_works();
}
END_TEST

/* Each broken module, refused with its file and what is wrong; the
 * process goes on. */
static const struct broken {
    const char *module;
    int code;
    const char *says;
} broken[] = {
    { "wl_noentry", TPOOL_ELOAD, "symbol tpool_bench_workload_entry not found" },
    { "wl_badabi", TPOOL_EABI, "built for workload ABI 2.0, but this tpool-bench speaks ABI 1." },
    { "wl_newer", TPOOL_EABI, "newer than the ABI 1." },
    { "wl_small", TPOOL_EABI, "smaller than the" },
    { "wl_badparams", TPOOL_EPOLICY, "parameter 'n': default 50 is not within [1, 10]" },
    { "wl_nullrun", TPOOL_EPOLICY, "mandatory member 'run' is NULL" },
    { "wl_builtin", TPOOL_EPOLICY, "\"uniform\" is a built-in workload's" },
    { "wl_badmetric", TPOOL_EPOLICY, "metric 'things' needs a unit" },
};

START_TEST(refused)
{
    const struct broken *b = &broken[_i];
    bench_wl_module *m = NULL;
    tpool_error te;
    tpool_error_clear(&te);
    const char *path = module(b->module);
    int rc = bench_wl_module_load(path, &m, &te);
    ck_assert_msg(rc == b->code, "%s: rc %d, expected %d (%s)", b->module, rc, b->code,
                  te.text);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(te.text, b->says), "%s: '%s' lacks '%s'", b->module, te.text, b->says);
    ck_assert_msg(strstr(te.text, path), "%s: '%s' does not name the file", b->module, te.text);
    ck_assert_str_eq(te.key, "workload");
    printf("refused: %s\n", te.text);
    if (strcmp(b->module, "wl_newer") == 0) /* both versions named */
        ck_assert_msg(strstr(te.text, "ABI 1.1") || strstr(te.text, "1.1,"), "%s", te.text);
    good_module_works();
}
END_TEST

START_TEST(not_a_module)
{
    bench_wl_module *m;
    tpool_error te;
    tpool_error_clear(&te);
    ck_assert_int_eq(bench_wl_module_load("/nonexistent/x.so", &m, &te), TPOOL_ENOENT);
    ck_assert_msg(strstr(te.text, "no such file"), "%s", te.text);
    tpool_error_clear(&te);
    ck_assert_int_eq(bench_wl_module_load("/tmp", &m, &te), TPOOL_ELOAD);
    ck_assert_msg(strstr(te.text, "not a regular file"), "%s", te.text);
    char text[] = "/tmp/check_bench_wlmoduleXXXXXX";
    int fd = mkstemp(text);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "not ELF\n", 8), 8);
    close(fd);
    tpool_error_clear(&te);
    ck_assert_int_eq(bench_wl_module_load(text, &m, &te), TPOOL_ELOAD);
    ck_assert_msg(strstr(te.text, "cannot load it"), "%s", te.text);
    unlink(text);
    good_module_works();
}
END_TEST

/* A setup that crashes is caught in the child that tries it. */
START_TEST(crash_in_setup)
{
    tpool_error te;
    tpool_error_clear(&te);
    const char *path = module("wl_crash");
    int rc = bench_wl_module_probe(path, NULL, 1, &te);
    ck_assert_msg(rc == TPOOL_ELOAD, "rc %d: %s", rc, te.text);
    /* AddressSanitizer's own SIGSEGV handler ends the child with a status */
    ck_assert_msg(strstr(te.text, "its setup crashed the process trying it (signal") ||
                      (TU_UNDER_ASAN && strstr(te.text, "during its setup, before it could "
                                                        "report")),
                  "%s", te.text);
    ck_assert_msg(strstr(te.text, path), "%s", te.text);
    printf("crash_in_setup: %s\n", te.text);
    good_module_works();
}
END_TEST

/* A table with a string parameter (static data, as a module's is). */
static const tpool_param_desc strtab[] = {
    TPOOL_BENCH_PARAM_STRING("path", "a file", 0, 0, ""),
};

/* In an experiment: params checked with their positions, as a policy's
 * are; a setup that fails or crashes, at the workload's place. */
START_TEST(in_experiment)
{
    char text[4096], *js;
    bench_experiment e;
    bench_perror pe;
    snprintf(text, sizeof text,
             "{\"workloads\": [\n  {\"workload\": \"%s\",\n   \"params\": {\"n\": 0}}]}",
             module("wl_ok"));
    ck_assert_int_ne(bench_experiment_parse(text, "x.json", &e, &pe), 0);
    ck_assert_msg(strstr(pe.text, "x.json:3:") && strstr(pe.text, "workloads[0].params.n: "
                                                                  "expected an integer in [1, "
                                                                  "100000], got 0"),
                  "%s", pe.text);
    snprintf(text, sizeof text,
             "{\"workloads\": [{\"workload\": \"%s\", \"params\": {\"shap\": \"flat\"}}]}",
             module("wl_ok"));
    ck_assert_int_ne(bench_experiment_parse(text, "x.json", &e, &pe), 0);
    ck_assert_msg(strstr(pe.text, "unknown parameter for workload 'wl-ok'") &&
                      strstr(pe.text, "did you mean 'shape'?"),
                  "%s", pe.text);
    snprintf(text, sizeof text,
             "{\"workloads\": [\"uniform\",\n {\"workload\": \"%s\"}]}", module("wl_badabi"));
    ck_assert_int_ne(bench_experiment_parse(text, "x.json", &e, &pe), 0);
    ck_assert_msg(strstr(pe.text, "x.json:2:") && strstr(pe.text, "workloads[1].workload") &&
                      strstr(pe.text, "built for workload ABI 2.0"),
                  "%s", pe.text);
    /* a string parameter: its type and length checked, its value kept
     * after the parse, and given to setup */
    snprintf(text, sizeof text,
             "{\"workloads\": [{\"workload\": \"%s\", \"params\": {\"tag\": 5}}]}",
             module("wl_ok"));
    ck_assert_int_ne(bench_experiment_parse(text, "x.json", &e, &pe), 0);
    ck_assert_msg(strstr(pe.text, "workloads[0].params.tag: expected a string of 1 to 16 "
                                  "bytes, got 5"),
                  "%s", pe.text);
    snprintf(text, sizeof text,
             "{\"workloads\": [{\"workload\": \"%s\", \"params\": {\"tag\": \"\"}}]}",
             module("wl_ok"));
    ck_assert_int_ne(bench_experiment_parse(text, "x.json", &e, &pe), 0);
    ck_assert_msg(strstr(pe.text, "expected a string of 1 to 16 bytes, got \"\""), "%s",
                  pe.text);
    snprintf(text, sizeof text,
             "{\"workloads\": [{\"workload\": \"%s\", \"params\": {\"tag\": \"hello\"}},\n"
             "  {\"workload\": \"%s\", \"label\": \"b\", \"params\": {\"tag\": \"bad\"}}]}",
             module("wl_ok"), module("wl_ok"));
    ck_assert_msg(bench_experiment_parse(text, "x.json", &e, &pe) == 0, "%s", pe.text);
    ck_assert_str_eq(e.workloads[0].p[5].s, "hello");
    js = bench_experiment_to_json(&e);
    ck_assert_ptr_nonnull(strstr(js, "\"tag\": \"hello\""));
    free(js);
    ck_assert_int_ne(bench_experiment_probe_modules(&e, &pe), 0);
    ck_assert_msg(strstr(pe.text, "x.json:2:") && strstr(pe.text, "refused as asked (tag: "
                                                                  "\"bad\")"),
                  "%s", pe.text);
    bench_experiment_free(&e);
    /* the defaults, a string's included */
    bench_wl_inst dw = { .wl = bench_workload_find("uniform") };
    bench_wl_defaults(&dw);
    ck_assert_int_eq(dw.p[0].i, 10000);
    /* policies take no string parameter: their loader's check refuses one */
    tpool_error te;
    tpool_error_clear(&te);
    ck_assert_int_ne(tpool__params_check_table("policy", "p.so", strtab, 1, 256, "MAX", 0, NULL,
                                               &te),
                     0);
    ck_assert_msg(strstr(te.text, "TPOOL_PARAM_STRING is for tpool-bench's workloads"), "%s",
                  te.text);
    tpool_error_clear(&te);
    ck_assert_int_eq(tpool__params_check_table("workload", "w.so", strtab, 1, 32, "MAX", 1,
                                               NULL, &te),
                     0);
    /* loads; its setup refuses when tried */
    snprintf(text, sizeof text,
             "{\"workloads\": [\"uniform\",\n {\"workload\": \"%s\", \"label\": \"mine\",\n"
             "  \"params\": {\"refuse\": true, \"shape\": \"flat\"}}]}", module("wl_ok"));
    ck_assert_msg(bench_experiment_parse(text, "x.json", &e, &pe) == 0, "%s", pe.text);
    ck_assert_uint_eq(e.nworkloads, 2);
    ck_assert_str_eq(e.workloads[1].label, "mine");
    ck_assert_int_eq(e.workloads[1].p[3].i, 0); /* flat */
    ck_assert_int_eq(e.workloads[1].p[4].i, 1);
    ck_assert_int_ne(bench_experiment_probe_modules(&e, &pe), 0);
    ck_assert_msg(strstr(pe.text, "x.json:2:") && strstr(pe.text, "setup failed: refused as "
                                                                  "asked"),
                  "%s", pe.text);
    bench_experiment_free(&e);
    /* a crash in setup, at its place */
    snprintf(text, sizeof text, "{\"workloads\": [\n {\"workload\": \"%s\"}]}",
             module("wl_crash"));
    ck_assert_msg(bench_experiment_parse(text, "y.json", &e, &pe) == 0, "%s", pe.text);
    ck_assert_int_ne(bench_experiment_probe_modules(&e, &pe), 0);
    ck_assert_msg(strstr(pe.text, "y.json:2:") &&
                      (strstr(pe.text, "crashed") ||
                       (TU_UNDER_ASAN && strstr(pe.text, "during its setup"))),
                  "%s", pe.text);
    bench_experiment_free(&e);
    /* --workloads ./x.so: added with its defaults, labelled by its name */
    ck_assert_msg(bench_experiment_parse("{\"workloads\": [\"uniform\"]}", "z.json", &e, &pe) ==
                      0,
                  "%s", pe.text);
    ck_assert_msg(bench_experiment_add_workload(&e, module("wl_ok"), &pe) == 0, "%s", pe.text);
    ck_assert_msg(bench_experiment_add_workload(&e, "costed-tasks", &pe) == 0, "%s", pe.text);
    ck_assert_int_ne(bench_experiment_add_workload(&e, "costed-tasks", &pe), 0); /* its label */
    ck_assert_int_ne(bench_experiment_add_workload(&e, "nope", &pe), 0);
    ck_assert_uint_eq(e.nworkloads, 3);
    ck_assert_str_eq(e.workloads[1].label, "wl-ok");
    ck_assert_ptr_nonnull(e.workloads[1].mod);
    ck_assert_int_eq(bench_experiment_probe_modules(&e, &pe), 0);
    /* the resolved form names the module by its absolute path and reads back */
    js = bench_experiment_to_json(&e);
    ck_assert_ptr_nonnull(strstr(js, e.workloads[1].mod->path));
    bench_experiment f;
    ck_assert_msg(bench_experiment_parse(js, "<resolved>", &f, &pe) == 0, "%s", pe.text);
    char *js2 = bench_experiment_to_json(&f);
    ck_assert_str_eq(js, js2);
    free(js);
    free(js2);
    bench_experiment_free(&f);
    bench_experiment_free(&e);
}
END_TEST

/* A run of the module and a built-in workload under fifo and a policy
 * loaded by path: every cell right, the module's metric reported, and the
 * results name exactly the policies and the workloads that ran, with their
 * files. */
START_TEST(runs_and_results)
{
    char text[4096], pol[1024];
    snprintf(pol, sizeof pol, "%s", module("mod_ok"));
    snprintf(text, sizeof text,
             "{\"policies\": [\"fifo\", \"%s\"], \"baselines\": [\"serial\", \"omp-task\"],\n"
             " \"threads\": [1, 2], \"repetitions\": 2, \"warmup\": 0, \"cooldown_us\": 0,\n"
             " \"idle_probe_ms\": 0,\n"
             " \"workloads\": [{\"workload\": \"%s\", \"params\": {\"n\": 8, \"items\": 5}},\n"
             "   {\"workload\": \"deadline-tasks\", \"params\": {\"n\": 50, \"task_ns\": 200}}]}",
             pol, module("wl_ok"));
    bench_experiment e;
    bench_perror pe;
    ck_assert_msg(bench_experiment_parse(text, "<unit>", &e, &pe) == 0, "%s", pe.text);
    ck_assert_msg(bench_experiment_check_policies(&e, &pe) == 0, "%s", pe.text);
    bench_options o;
    memset(&o, 0, sizeof o);
    char *argv[] = { "check_bench_wlmodule", NULL };
    bench_report r;
    ck_assert_int_eq(bench_run(&e, &o, &r, 1, argv), 0);
    size_t mine = 0;
    for (size_t i = 0; i < r.ncells; i++) {
        const bench_cell *c = &r.cells[i];
        ck_assert_msg(c->check_ok, "%s on %s: %s", e.workloads[c->wl].label,
                      r.exes[c->exe].label, c->check_msg);
        if (c->wl == 0) {
            mine++;
            /* it uses tasks and ranges: never on omp-task */
            ck_assert(r.exes[c->exe].kind != BENCH_EX_OMP);
            ck_assert(c->lat_med.custom[0] == 5 * 9);
            ck_assert(c->lat_med.valid);
            ck_assert_uint_eq(c->items, 8 + 5 * 9); /* tasks and items dispatched */
        } else {
            ck_assert(c->lat_med.valid && !isnan(c->lat_med.dl_missed));
        }
    }
    ck_assert_uint_eq(mine, 5); /* serial, and two policies at 1 and 2 threads */

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(bench_write_json(f, &r), 0);
    fclose(f);
    json_error_t je;
    json_t *root = json_loads(buf, 0, &je);
    ck_assert_msg(root != NULL, "%s", je.text);
    /* the policies: exactly the two that ran, the one by path with its file */
    json_t *ps = json_object_get(root, "policies");
    ck_assert_uint_eq(json_array_size(ps), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(ps, 0), "label")), "fifo");
    char real[4096];
    ck_assert_ptr_nonnull(realpath(pol, real));
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(ps, 1), "path")), real);
    /* the workloads: exactly the two, the module with its file */
    json_t *ws = json_object_get(root, "workloads");
    ck_assert_uint_eq(json_array_size(ws), 2);
    json_t *w0 = json_array_get(ws, 0), *w1 = json_array_get(ws, 1);
    ck_assert_str_eq(json_string_value(json_object_get(w0, "workload")), "wl-ok");
    ck_assert_str_eq(json_string_value(json_object_get(w0, "file")), e.workloads[0].mod->path);
    ck_assert(json_is_null(json_object_get(w1, "file")));
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(w0, "params"), "shape")),
                     "nested");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(w0,
                                                                                       "metrics"),
                                                                       0),
                                                        "unit")),
                     "items");
    json_t *c0 = json_array_get(json_object_get(root, "cells"), 0);
    json_t *counted = json_object_get(json_object_get(c0, "metrics"), "counted");
    ck_assert(json_real_value(json_object_get(counted, "value")) == 45);
    json_decref(root);
    free(buf);

    /* the CSV: one column for the metric, with its unit */
    buf = NULL;
    f = open_memstream(&buf, &len);
    ck_assert_int_eq(bench_write_csv(f, &r), 0);
    fclose(f);
    char *nl = strchr(buf, '\n');
    ck_assert_ptr_nonnull(nl);
    *nl = '\0';
    ck_assert_msg(strstr(buf, ",metric_counted_items") != NULL, "%s", buf);
    free(buf);
    bench_report_free(&r);
    bench_experiment_free(&e);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("bench_wlmodule");
    TCase *tc = tcase_create("wlmodule");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, good);
    tcase_add_loop_test(tc, refused, 0, (int)(sizeof broken / sizeof broken[0]));
    tcase_add_test(tc, not_a_module);
    tcase_add_test(tc, crash_in_setup);
    tcase_add_test(tc, in_experiment);
    tcase_add_test(tc, runs_and_results);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
