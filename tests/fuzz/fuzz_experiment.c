/*
 * fuzz_experiment.c - libFuzzer target for tpool-bench's experiment parser
 * (harness/experiment.c, bench_experiment_parse). Built and run by
 * tests/fuzz/run.sh.
 *
 * An experiment that parses is written back with bench_experiment_to_json;
 * that text must parse again and give the same JSON (bench.h: "parsing it
 * gives the same experiment"), or the target aborts. Workload .so files are
 * never loaded: an input naming a path would make the fuzzer dlopen
 * whatever it guessed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int once;
    if (!once) {
        bench_wl_module_disable("the fuzzer loads no workload files");
        once = 1;
    }
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    bench_experiment e;
    bench_perror err;
    if (bench_experiment_parse(text, "<fuzz>", &e, &err) == 0) {
        char *js = bench_experiment_to_json(&e);
        if (js) {
            bench_experiment e2;
            if (bench_experiment_parse(js, "<round-trip>", &e2, &err) != 0) {
                fprintf(stderr, "round trip: %s\n%s\n", err.text, js);
                abort();
            }
            char *js2 = bench_experiment_to_json(&e2);
            if (js2 && strcmp(js, js2) != 0) {
                fprintf(stderr, "round trip differs:\n%s\n%s\n", js, js2);
                abort();
            }
            free(js2);
            bench_experiment_free(&e2);
            free(js);
        }
        bench_experiment_free(&e);
    }
    free(text);
    return 0;
}
