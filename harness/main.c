/* main.c - tpool-bench; everything else lives in the harness library so
 * that the tests can link it. */
#include "bench.h"

int main(int argc, char **argv)
{
    return bench_main(argc, argv);
}
