/* check_bench_experiment.c - experiment files: the shipped ones parse, the
 * built-in default (harness/experiments/default.json compiled in) names
 * every workload, the resolved form reads back as the same experiment, and
 * bad experiments are refused with the line, column and key of what is
 * wrong. */
#define _GNU_SOURCE
#include <math.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "bench.h"
#include "testutil.h"

START_TEST(default_experiment)
{
    bench_experiment e;
    bench_perror pe;
    int rc = bench_experiment_parse(bench_default_experiment, "<default>", &e, &pe);
    ck_assert_msg(rc == 0, "%s", pe.text);
    ck_assert_str_eq(e.name, "default");
    ck_assert(e.all_policies);
    ck_assert_uint_eq(e.baselines, BENCH_BASE_ALL);
    ck_assert_ptr_null(e.threads);
    /* every workload of the registry is in it (its "all" entry adds those
     * it does not name) */
    ck_assert_uint_ge(e.nworkloads, bench_nworkloads);
    for (size_t i = 0; i < bench_nworkloads; i++) {
        int found = 0;
        for (size_t k = 0; k < e.nworkloads; k++)
            found |= e.workloads[k].wl == bench_workloads[i];
        ck_assert_msg(found, "workload %s missing from the default", bench_workloads[i]->name);
    }
    /* loaded from the shipped file, the same experiment */
    bench_experiment f;
    rc = bench_experiment_load(TOP_SRCDIR "/harness/experiments/default.json", &f, &pe);
    ck_assert_msg(rc == 0, "%s", pe.text);
    char *a = bench_experiment_to_json(&e), *b = bench_experiment_to_json(&f);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    bench_experiment_free(&e);
    bench_experiment_free(&f);
}
END_TEST

static const char *const shipped[] = { "default", "quick", "smoke", "policies-params" };

START_TEST(shipped_experiments)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/harness/experiments/%s.json", TOP_SRCDIR, shipped[_i]);
    bench_experiment e;
    bench_perror pe;
    int rc = bench_experiment_load(path, &e, &pe);
    ck_assert_msg(rc == 0, "%s", pe.text);
    ck_assert_uint_gt(e.nworkloads, 0);
    bench_experiment_free(&e);
}
END_TEST

/* The smoke experiment (whose results make check validates against the
 * schema) has every workload, so that no workload's results go unchecked. */
START_TEST(smoke_has_every_workload)
{
    bench_experiment e;
    bench_perror pe;
    int rc = bench_experiment_load(TOP_SRCDIR "/harness/experiments/smoke.json", &e, &pe);
    ck_assert_msg(rc == 0, "%s", pe.text);
    for (size_t i = 0; i < bench_nworkloads; i++) {
        int found = 0;
        for (size_t k = 0; k < e.nworkloads; k++)
            found |= e.workloads[k].wl == bench_workloads[i];
        ck_assert_msg(found, "workload %s missing from smoke.json", bench_workloads[i]->name);
    }
    bench_experiment_free(&e);
}
END_TEST

/* The schema's list of built-in workload names (the "workload" enum of a
 * results workload without a file) is the registry's, name for name, and
 * "replay", built in but run only when named. */
START_TEST(schema_names_every_workload)
{
    json_error_t je;
    json_t *schema = json_load_file(TOP_BUILDDIR "/harness/schema.json", 0, &je);
    ck_assert_msg(schema != NULL, "%s", je.text);
    json_t *alt = json_array_get(
        json_object_get(json_object_get(json_object_get(json_object_get(schema, "properties"),
                                                        "workloads"),
                                        "items"),
                        "oneOf"),
        0);
    json_t *names = json_object_get(
        json_object_get(json_object_get(alt, "properties"), "workload"), "enum");
    ck_assert_msg(json_is_array(names), "schema.json: no workloads.items.oneOf[0] enum");
    ck_assert_msg(json_array_size(names) == bench_nworkloads + 1,
                  "schema.json names %zu built-in workloads, the registry has %zu and "
                  "replay one more",
                  json_array_size(names), bench_nworkloads);
    for (size_t i = 0; i <= bench_nworkloads; i++) {
        const tpool_bench_workload *w = i < bench_nworkloads ? bench_workloads[i]
                                                             : &bench_wl_replay;
        int found = 0;
        size_t k;
        json_t *n;
        json_array_foreach(names, k, n) found |= strcmp(json_string_value(n), w->name) == 0;
        ck_assert_msg(found, "workload %s is missing from harness/schema.json's enum", w->name);
    }
    json_decref(schema);
}
END_TEST

/* Collects, into `found`, every "enum" array of `v` (anywhere in the
 * schema) that names the baseline "omp-static": the lists of baselines. */
static void baseline_enums(json_t *v, json_t *found)
{
    if (json_is_object(v)) {
        const char *key;
        json_t *m;
        json_object_foreach(v, key, m) {
            if (strcmp(key, "enum") == 0 && json_is_array(m)) {
                bool names_baseline = false;
                size_t i;
                json_t *n;
                json_array_foreach(m, i, n) names_baseline |=
                    json_is_string(n) && strcmp(json_string_value(n), "omp-static") == 0;
                if (names_baseline)
                    json_array_append(found, m);
            } else
                baseline_enums(m, found);
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *m;
        json_array_foreach(v, i, m) baseline_enums(m, found);
    }
}

/* Every list of baselines in the schema (an experiment's "baselines" and a
 * result's executor names) is the harness's own list, name for name: a
 * baseline added to bench_base_names and forgotten in the schema fails. */
START_TEST(schema_names_every_baseline)
{
    json_error_t je;
    json_t *schema = json_load_file(TOP_BUILDDIR "/harness/schema.json", 0, &je);
    ck_assert_msg(schema != NULL, "%s", je.text);
    json_t *lists = json_array();
    baseline_enums(schema, lists);
    ck_assert_msg(json_array_size(lists) >= 2,
                  "schema.json: expected the baselines' enum in experiments and results, "
                  "found %zu", json_array_size(lists));
    size_t k;
    json_t *names;
    json_array_foreach(lists, k, names) {
        ck_assert_msg(json_array_size(names) == BENCH_NBASE,
                      "schema.json: a baselines enum names %zu, the harness has %d (%s)",
                      json_array_size(names), BENCH_NBASE, bench_base_list());
        for (int b = 0; b < BENCH_NBASE; b++) {
            int found = 0;
            size_t i;
            json_t *n;
            json_array_foreach(names, i, n) found |=
                strcmp(json_string_value(n), bench_base_names[b]) == 0;
            ck_assert_msg(found, "baseline %s is missing from a baselines enum of "
                                 "harness/schema.json", bench_base_names[b]);
        }
    }
    json_decref(lists);
    json_decref(schema);
}
END_TEST

/* Every built-in workload passes the checks a workload .so must pass. */
START_TEST(registry_descriptors)
{
    for (size_t i = 0; i < bench_nworkloads; i++) {
        tpool_error te;
        tpool_error_clear(&te);
        ck_assert_msg(bench_wl_check_desc(bench_workloads[i]->name, bench_workloads[i], NULL,
                                          &te) == 0,
                      "%s", te.text);
        ck_assert_ptr_eq(bench_workload_find(bench_workloads[i]->name), bench_workloads[i]);
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(bench_workloads[i]->name, bench_workloads[j]->name);
        /* replay needs a record: never in a default list */
        ck_assert_str_ne(bench_workloads[i]->name, bench_wl_replay.name);
    }
    tpool_error te;
    tpool_error_clear(&te);
    ck_assert_msg(bench_wl_check_desc("replay", &bench_wl_replay, NULL, &te) == 0, "%s", te.text);
    ck_assert_ptr_eq(bench_workload_find("replay"), &bench_wl_replay);
}
END_TEST

static const char full[] =
    "{\n"
    "  \"name\": \"full.1\",\n"
    "  \"description\": \"every key\",\n"
    "  \"seed\": 99,\n"
    "  \"policies\": [\"fifo\", {\"policy\": \"dynamic\", \"label\": \"dyn-16\",\n"
    "                \"params\": {\"chunk\": 16}}],\n"
    "  \"baselines\": [\"serial\", \"omp-task\"],\n"
    "  \"threads\": [4, 1, 2],\n"
    "  \"repetitions\": 3, \"warmup\": 0, \"cooldown_us\": 10, \"spin_us\": 0,\n"
    "  \"idle_probe_ms\": 0,\n"
    "  \"workloads\": [\"nested\", {\"workload\": \"empty\", \"label\": \"e-5\",\n"
    "                 \"params\": {\"range\": 5}}]\n"
    "}\n";

START_TEST(every_key)
{
    bench_experiment e;
    bench_perror pe;
    int rc = bench_experiment_parse(full, "full.json", &e, &pe);
    ck_assert_msg(rc == 0, "%s", pe.text);
    ck_assert_str_eq(e.name, "full.1");
    ck_assert_uint_eq(e.seed, 99);
    ck_assert(!e.all_policies);
    ck_assert_uint_eq(e.npolicies, 2);
    ck_assert_str_eq(e.policies[0].label, "fifo");
    ck_assert_ptr_null(e.policies[0].params_json);
    ck_assert_str_eq(e.policies[1].policy, "dynamic");
    ck_assert_str_eq(e.policies[1].label, "dyn-16");
    ck_assert_str_eq(e.policies[1].params_json, "{\"chunk\":16}");
    ck_assert_uint_eq(e.baselines, BENCH_BASE_SERIAL | BENCH_BASE_OMP_TASK);
    ck_assert_uint_eq(e.nthreads, 3);
    ck_assert_uint_eq(e.threads[0], 4);
    ck_assert_uint_eq(e.min_rounds, 3); /* repetitions: a fixed count */
    ck_assert_uint_eq(e.max_rounds, 3);
    ck_assert_uint_eq(e.warmup, 0);
    ck_assert_uint_eq(e.cooldown_us, 10);
    ck_assert_uint_eq(e.spin_us, 0);
    ck_assert_uint_eq(e.idle_probe_ms, 0);
    ck_assert_uint_eq(e.nworkloads, 2);
    ck_assert_str_eq(e.workloads[0].label, "nested");
    ck_assert(e.workloads[0].p[0].i == 12); /* defaults filled in */
    ck_assert_str_eq(e.workloads[1].label, "e-5");
    ck_assert(e.workloads[1].p[0].i == 5);
    ck_assert(e.workloads[1].p[1].i == 500);

    /* the resolved form is itself an experiment, the same one */
    char *j = bench_experiment_to_json(&e);
    bench_experiment g;
    rc = bench_experiment_parse(j, "<resolved>", &g, &pe);
    ck_assert_msg(rc == 0, "%s\n%s", pe.text, j);
    char *k = bench_experiment_to_json(&g);
    ck_assert_str_eq(j, k);
    free(j);
    free(k);
    bench_experiment_free(&g);
    bench_experiment_free(&e);

    /* no "workloads": every workload once */
    rc = bench_experiment_parse("{}", NULL, &e, &pe);
    ck_assert_msg(rc == 0, "%s", pe.text);
    ck_assert_uint_eq(e.nworkloads, bench_nworkloads);
    bench_experiment_free(&e);
}
END_TEST

/* A policy may be a path (containing '/'): loaded as given, labelled by its
 * file name without "lib" and ".so"; a file name that makes no label is an
 * error that asks for one. builtin:NAME is labelled builtin-NAME. The
 * resolved form parses again (the fuzzer's round trip once failed on a
 * builtin's label). */
START_TEST(policy_paths)
{
    bench_experiment e;
    bench_perror pe;
    int rc = bench_experiment_parse(
        "{\"policies\": [\"builtin:fifo\", \"./build/liblifo.so\", "
        "{\"policy\": \"/opt/p/my-pol.so\", \"label\": \"mine\"}, \"../x/rr2\"]}",
        NULL, &e, &pe);
    ck_assert_msg(rc == 0, "%s", pe.text);
    ck_assert_uint_eq(e.npolicies, 4);
    ck_assert_str_eq(e.policies[0].label, "builtin-fifo");
    char *js = bench_experiment_to_json(&e);
    bench_experiment again;
    ck_assert_msg(bench_experiment_parse(js, NULL, &again, &pe) == 0, "%s\n%s", pe.text, js);
    ck_assert_str_eq(again.policies[0].label, "builtin-fifo");
    ck_assert_str_eq(again.policies[1].label, "lifo");
    bench_experiment_free(&again);
    free(js);
    ck_assert_str_eq(e.policies[1].policy, "./build/liblifo.so");
    ck_assert_str_eq(e.policies[1].label, "lifo");
    ck_assert_str_eq(e.policies[2].label, "mine");
    ck_assert_str_eq(e.policies[3].label, "rr2");
    bench_experiment_free(&e);

    rc = bench_experiment_parse("{\"policies\": [\"dir/\"]}", NULL, &e, &pe);
    ck_assert_int_ne(rc, 0);
    ck_assert_msg(strstr(pe.text, "policies[0]") && strstr(pe.text, "\"label\""), "%s",
                  pe.text);
    rc = bench_experiment_parse("{\"policies\": [\"a/x.so\", \"b/x.so\"]}", NULL, &e, &pe);
    ck_assert_int_ne(rc, 0);
    ck_assert_msg(strstr(pe.text, "used twice"), "%s", pe.text);
    rc = bench_experiment_parse("{\"policies\": [\"fi fo\"]}", NULL, &e, &pe);
    ck_assert_int_ne(rc, 0);
    ck_assert_msg(strstr(pe.text, "is no policy name"), "%s", pe.text);
}
END_TEST

/* The stopping rule's keys: defaults, one bound moving the other, and
 * the resolved form keeping them. */
START_TEST(rounds_keys)
{
    bench_experiment e;
    bench_perror pe;
    ck_assert_int_eq(bench_experiment_parse("{}", NULL, &e, &pe), 0);
    ck_assert_uint_eq(e.min_rounds, 10);
    ck_assert_uint_eq(e.max_rounds, 100);
    ck_assert(e.ci_target == 0.02);
    ck_assert(e.budget_s == 150);
    bench_experiment_free(&e);
    /* min alone above the default max raises max; max alone below min lowers min */
    ck_assert_int_eq(bench_experiment_parse("{\"min_rounds\": 300}", NULL, &e, &pe), 0);
    ck_assert_uint_eq(e.max_rounds, 300);
    bench_experiment_free(&e);
    ck_assert_int_eq(bench_experiment_parse("{\"max_rounds\": 4}", NULL, &e, &pe), 0);
    ck_assert_uint_eq(e.min_rounds, 4);
    bench_experiment_free(&e);
    ck_assert_int_eq(bench_experiment_parse("{\"min_rounds\": 12, \"max_rounds\": 40, "
                                            "\"ci_target\": 0.01, \"budget_s\": 7.5}",
                                            NULL, &e, &pe),
                     0);
    char *j = bench_experiment_to_json(&e);
    ck_assert_msg(strstr(j, "\"min_rounds\": 12") && strstr(j, "\"max_rounds\": 40") &&
                      strstr(j, "\"ci_target\": 0.01") && strstr(j, "\"budget_s\": 7.5"),
                  "%s", j);
    bench_experiment g;
    ck_assert_int_eq(bench_experiment_parse(j, NULL, &g, &pe), 0);
    ck_assert_uint_eq(g.min_rounds, 12);
    ck_assert_uint_eq(g.max_rounds, 40);
    ck_assert(g.ci_target == 0.01 && g.budget_s == 7.5);
    free(j);
    bench_experiment_free(&g);
    bench_experiment_free(&e);
    /* fractions on the command line: 0.02 or 2%, never a bare 2 */
    double f = -1;
    ck_assert_int_eq(bench_parse_fraction("2%", 0.5, &f), 0);
    ck_assert(fabs(f - 0.02) < 1e-15);
    ck_assert_int_eq(bench_parse_fraction("0.05", 0.5, &f), 0);
    ck_assert(f == 0.05);
    ck_assert_int_ne(bench_parse_fraction("2", 0.5, &f), 0);
    ck_assert_int_ne(bench_parse_fraction("60%", 0.5, &f), 0);
    ck_assert_int_ne(bench_parse_fraction("-1%", 0.5, &f), 0);
    ck_assert_int_ne(bench_parse_fraction("x", 0.5, &f), 0);
}
END_TEST

/* "policy_switch": one pool per thread count; kept by the resolved form. */
START_TEST(policy_switch_key)
{
    bench_experiment e;
    bench_perror pe;
    int rc = bench_experiment_parse("{\"policy_switch\": true}", NULL, &e, &pe);
    ck_assert_msg(rc == 0, "%s", pe.text);
    ck_assert_int_eq(e.policy_switch, 1);
    char *j = bench_experiment_to_json(&e);
    ck_assert_msg(strstr(j, "\"policy_switch\": true"), "%s", j);
    free(j);
    bench_experiment_free(&e);
    rc = bench_experiment_parse("{\"policy_switch\": false}", NULL, &e, &pe);
    ck_assert_msg(rc == 0, "%s", pe.text);
    ck_assert_int_eq(e.policy_switch, 0);
    bench_experiment_free(&e);
}
END_TEST

/* "all" in "workloads" adds every listed workload with its defaults, in
 * listing order at its place, except those named by an entry of their own,
 * which replace it; as a string or as {"workload": "all"}. */
START_TEST(all_workloads_entry)
{
    bench_experiment e, every;
    bench_perror pe;
    ck_assert_int_eq(bench_experiment_parse("{}", NULL, &every, &pe), 0);
    char *want = bench_experiment_to_json(&every);
    int rc = bench_experiment_parse("{\"workloads\": [\"all\"]}", NULL, &e, &pe);
    ck_assert_msg(rc == 0, "%s", pe.text);
    char *got = bench_experiment_to_json(&e);
    ck_assert_str_eq(got, want);
    free(got);
    bench_experiment_free(&e);
    rc = bench_experiment_parse("{\"workloads\": [{\"workload\": \"all\"}]}", NULL, &e, &pe);
    ck_assert_msg(rc == 0, "%s", pe.text);
    got = bench_experiment_to_json(&e);
    ck_assert_str_eq(got, want);
    free(got);
    bench_experiment_free(&e);
    free(want);
    bench_experiment_free(&every);

    /* uniform (twice, with params) and empty (by its name alone) replace
     * their defaults; the rest follow "all" in the registry's order */
    rc = bench_experiment_parse(
        "{\"workloads\": [{\"workload\": \"uniform\", \"params\": {\"n\": 7}},\n"
        " {\"workload\": \"uniform\", \"label\": \"u2\", \"params\": {\"n\": 9}},\n"
        " \"all\", \"empty\"]}",
        NULL, &e, &pe);
    ck_assert_msg(rc == 0, "%s", pe.text);
    ck_assert_uint_eq(e.nworkloads, bench_nworkloads + 1);
    ck_assert_str_eq(e.workloads[0].label, "uniform");
    ck_assert(e.workloads[0].p[0].i == 7);
    ck_assert_str_eq(e.workloads[1].label, "u2");
    ck_assert(e.workloads[1].p[0].i == 9);
    ck_assert_str_eq(e.workloads[e.nworkloads - 1].label, "empty");
    size_t k = 2;
    for (size_t i = 0; i < bench_nworkloads; i++) {
        const char *n = bench_workloads[i]->name;
        if (strcmp(n, "uniform") == 0 || strcmp(n, "empty") == 0)
            continue;
        ck_assert_msg(e.workloads[k].wl == bench_workloads[i], "entry %zu is %s, expected %s",
                      k, e.workloads[k].wl->name, n);
        ck_assert_str_eq(e.workloads[k].label, n);
        bench_wl_inst d = { .wl = bench_workloads[i] };
        bench_wl_defaults(&d);
        ck_assert_msg(memcmp(d.p, e.workloads[k].p, sizeof d.p) == 0,
                      "%s: not its defaults", n);
        k++;
    }
    ck_assert_uint_eq(k, e.nworkloads - 1);
    bench_experiment_free(&e);
}
END_TEST

/* A bad experiment and what its error must say. line 0: not checked. */
static const struct bad {
    const char *text;
    int line, column;
    const char *key;
    const char *msg;
} bad[] = {
    /* syntax (jansson) */
    { "{\n  \"seed\": 1,\n}", 3, 1, "", "expected" },
    { "{\"seed\": 1,\n \"seed\": 2}", 2, 0, "", "duplicate object key" },
    /* the document */
    { "[]", 1, 1, "", "expected an experiment object" },
    { "{\n  \"seeed\": 1\n}", 2, 3, "seeed", "did you mean \"seed\"" },
    { "{\n  \"repetitions\": 0\n}", 2, 18, "repetitions", "expected an integer in [1, 100000]" },
    { "{\"repetitions\": \"5\"}", 1, 17, "repetitions", "got \"5\"" },
    { "{\"seed\": -1}", 1, 10, "seed", "expected an integer" },
    /* rounds and the stopping rule */
    { "{\"repetitions\": 5,\n \"min_rounds\": 3}", 1, 2, "repetitions", "not both" },
    { "{\"min_rounds\": 9, \"max_rounds\": 8}", 1, 33, "max_rounds", "below min_rounds (9)" },
    { "{\"min_rounds\": 0}", 1, 16, "min_rounds", "expected an integer in [1, 100000]" },
    { "{\"ci_target\": 2}", 1, 15, "ci_target", "expected a number in [0, 0.5], got 2" },
    { "{\"ci_target\": \"2%\"}", 1, 15, "ci_target", "expected a number" },
    { "{\"budget_s\": -1}", 1, 14, "budget_s", "expected a number in [0, 1e+06]" },
    { "{\"policy_switch\": 1}", 1, 19, "policy_switch", "expected true or false, got 1" },
    { "{\"name\": \"my exp\"}", 1, 10, "name", "expected a name" },
    /* threads */
    { "{\n  \"threads\": \"many\"\n}", 2, 14, "threads", "\"default\" or a non-empty array" },
    { "{\n  \"threads\": [1, 0]\n}", 2, 18, "threads[1]", "expected an integer in [1, 254]" },
    { "{\"threads\": [2,\n 2]}", 2, 2, "threads[1]", "listed twice" },
    /* policies */
    { "{\"policies\": [\n  {\"label\": \"x\"}\n]}", 2, 3, "policies[0]", "missing key \"policy\"" },
    { "{\"policies\": [\"fi fo\"]}", 1, 15, "policies[0]", "no policy name" },
    { "{\"policies\": [\"fifo\",\n {\"policy\": \"fifo\"}]}", 2, 2, "policies[1]", "used twice" },
    { "{\"policies\": [{\"policy\": \"fifo\",\n  \"params\": 3}]}", 2, 13, "policies[0].params",
      "expected an object" },
    { "{\"policies\": [{\"policy\": \"fifo\", \"parms\": {}}]}", 1, 34, "policies[0].parms",
      "did you mean \"params\"" },
    { "{\"policies\": \"some\"}", 1, 14, "policies", "expected \"all\"" },
    { "{\"policies\": [{\"policy\": \"fifo\", \"label\": \"serial\"}]}", 1, 15, "policies[0]",
      "name of a baseline" },
    /* baselines */
    { "{\n\"baselines\": [\"serial\", \"omp-statc\"]\n}", 2, 25, "baselines[1]",
      "did you mean \"omp-static\"" },
    /* workloads */
    { "{\"workloads\": [\n  {\"workload\": \"unifrom\"}\n]}", 2, 16, "workloads[0].workload",
      "did you mean \"uniform\"" },
    { "{\"workloads\": [\n  {\"workload\": \"uniform\",\n   \"params\": {\"size\": 5}}\n]}", 3, 15,
      "workloads[0].params.size", "unknown parameter for workload 'uniform' (accepted: n, item_ns)" },
    { "{\"workloads\": [{\"workload\": \"uniform\", \"params\": {\"item_n\": 5}}]}", 1, 51,
      "workloads[0].params.item_n", "did you mean 'item_ns'?" },
    { "{\"workloads\": [{\"workload\": \"costed-tasks\",\n \"params\": {\"hint\": \"exakt\"}}]}", 2,
      21, "workloads[0].params.hint", "expected one of \"exact\", \"noisy\", \"none\", got \"exakt\"" },
    { "{\"workloads\": [{\"workload\": \"uniform\", \"params\": [1]}]}", 1, 50,
      "workloads[0].params", "expected an object, got [1]" },
    { "{\"workloads\": [{\"workload\": \"uniform\", \"params\": {\"n\": 0}}]}", 1, 56,
      "workloads[0].params.n", "expected an integer in [1, 100000000], got 0" },
    { "{\"workloads\": [{\"workload\": \"uniform\", \"params\": {\"n\": 1.5}}]}", 1, 56,
      "workloads[0].params.n", "expected an integer" },
    { "{\"workloads\": [{\"workload\": \"uniform\", \"params\": {\"n\": \"9\"}}]}", 1, 56,
      "workloads[0].params.n", "expected an integer in [1, 100000000], got \"9\"" },
    { "{\"workloads\": [\"uniform\",\n\"uniform\"]}", 2, 1, "workloads[1]", "used twice" },
    { "{\"workloads\": []}", 1, 15, "workloads", "an empty array" },
    { "{\"workloads\": [42]}", 1, 16, "workloads[0]", "expected a workload name" },
    { "{\"workloads\": [{\"workload\": \"nested\", \"param\": {}}]}", 1, 39, "workloads[0].param",
      "did you mean \"params\"" },
    { "{\"workloads\": [{\"workload\": \"nested\", \"label\": \"a b\"}]}", 1, 48,
      "workloads[0].label", "expected a name" },
    { "{\"workloads\": [\"all\",\n {\"workload\": \"all\"}]}", 2, 15, "workloads[1].workload",
      "\"all\" is given twice" },
    { "{\"workloads\": [\"nested\",\n {\"workload\": \"all\", \"params\": {}}]}", 2, 2,
      "workloads[1]", "\"all\" takes no \"label\" or \"params\"" },
    { "{\"workloads\": [{\"workload\": \"uniform\", \"label\": \"nested\"},\n \"all\"]}", 2, 2,
      "workloads[1]", "label \"nested\" is used twice" },
};

START_TEST(bad_experiments)
{
    const struct bad *b = &bad[_i];
    bench_experiment e;
    bench_perror pe;
    int rc = bench_experiment_parse(b->text, "bad.json", &e, &pe);
    ck_assert_msg(rc != 0, "accepted: %s", b->text);
    ck_assert_msg(strstr(pe.text, b->msg), "case %d: message '%s' lacks '%s'", _i, pe.text,
                  b->msg);
    ck_assert_msg(strncmp(pe.text, "bad.json:", 9) == 0, "no file name: %s", pe.text);
    ck_assert_msg(pe.line == b->line, "case %d: line %d, expected %d (%s)", _i, pe.line,
                  b->line, pe.text);
    if (b->column)
        ck_assert_msg(pe.column == b->column, "case %d: column %d, expected %d (%s)", _i,
                      pe.column, b->column, pe.text);
    ck_assert_msg(strcmp(pe.key, b->key) == 0, "case %d: key '%s', expected '%s'", _i, pe.key,
                  b->key);
    /* the message carries the position and the key */
    char where[64];
    snprintf(where, sizeof where, "bad.json:%d:%d: ", pe.line, pe.column);
    ck_assert_msg(strncmp(pe.text, where, strlen(where)) == 0, "'%s' does not start with '%s'",
                  pe.text, where);
    if (b->key[0]) {
        char k[160];
        snprintf(k, sizeof k, ": %s: ", b->key);
        ck_assert_msg(strstr(pe.text, k), "'%s' does not name the key", pe.text);
    }
    /* the failed parse left nothing behind to free */
    ck_assert_ptr_null(e.workloads);
    ck_assert_ptr_null(e.policies);
}
END_TEST

START_TEST(files)
{
    bench_experiment e;
    bench_perror pe;
    ck_assert_int_ne(bench_experiment_load("/nonexistent/x.json", &e, &pe), 0);
    ck_assert_msg(strstr(pe.text, "/nonexistent/x.json") && strstr(pe.text, "No such file"),
                  "%s", pe.text);
    char path[] = "/tmp/check_bench_expXXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs("{\n  \"workloads\": [\"uniform\"],\n  \"warmup\": -2\n}\n", f);
    fclose(f);
    ck_assert_int_ne(bench_experiment_load(path, &e, &pe), 0);
    char want[128];
    snprintf(want, sizeof want, "%s:3:13: warmup: ", path);
    ck_assert_msg(strncmp(pe.text, want, strlen(want)) == 0, "%s", pe.text);
    unlink(path);

    /* A FIFO is refused at once (reading it waited forever for a writer). */
    char dir[] = "/tmp/check_bench_fifoXXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char fifo[64];
    snprintf(fifo, sizeof fifo, "%s/exp.json", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    ck_assert_int_ne(bench_experiment_load(fifo, &e, &pe), 0);
    snprintf(want, sizeof want, "%s: cannot read the experiment file: it is a FIFO", fifo);
    ck_assert_msg(strncmp(pe.text, want, strlen(want)) == 0, "%s", pe.text);
    unlink(fifo);
    rmdir(dir);
    ck_assert_int_ne(bench_experiment_load("/dev/null", &e, &pe), 0);
    ck_assert_msg(strstr(pe.text, "/dev/null: cannot read the experiment file: it is a "
                                  "character device"), "%s", pe.text);
}
END_TEST

START_TEST(default_threads)
{
    unsigned t[16];
    ck_assert_uint_eq(bench_default_threads(1, t, 16), 1);
    ck_assert_uint_eq(t[0], 1);
    ck_assert_uint_eq(bench_default_threads(6, t, 16), 4);
    ck_assert(t[0] == 1 && t[1] == 2 && t[2] == 4 && t[3] == 6);
    ck_assert_uint_eq(bench_default_threads(8, t, 16), 4);
    ck_assert(t[3] == 8);
    ck_assert_uint_eq(bench_default_threads(2, t, 16), 2);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("bench_experiment");
    TCase *tc = tcase_create("experiment");
    tcase_add_test(tc, default_experiment);
    tcase_add_loop_test(tc, shipped_experiments, 0, (int)(sizeof shipped / sizeof shipped[0]));
    tcase_add_test(tc, every_key);
    tcase_add_test(tc, all_workloads_entry);
    tcase_add_test(tc, smoke_has_every_workload);
    tcase_add_test(tc, schema_names_every_workload);
    tcase_add_test(tc, schema_names_every_baseline);
    tcase_add_test(tc, registry_descriptors);
    tcase_add_test(tc, policy_switch_key);
    tcase_add_test(tc, rounds_keys);
    tcase_add_test(tc, policy_paths);
    tcase_add_loop_test(tc, bad_experiments, 0, (int)(sizeof bad / sizeof bad[0]));
    tcase_add_test(tc, files);
    tcase_add_test(tc, default_threads);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
