/*
 * advise.c - `tpool-bench advise`: how many threads for blocking work?
 * Measures the wait time W and the compute time C of one io-bound item,
 * prints the classic estimate Nthreads = Ncpu x Ucpu x (1 + W/C) (Goetz,
 * "Java Concurrency in Practice", 8.2) and, next to it, the thread count it
 * measured to be enough: the counts of a sweep run such items as tasks in
 * interleaved rounds, and the pick is the smallest count that no other
 * count beats significantly (bench_advise_pick).
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <pthread.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "stats.h"

static void usage(FILE *f)
{
    fprintf(f,
"Usage: tpool-bench advise [OPTIONS]\n"
"       tpool-bench advise RECORD [OPTIONS]\n"
"\n"
"Measures W (blocking) and C (computing) of an io-bound item, prints\n"
"Nthreads = Ncpu x Ucpu x (1 + W/C), then runs such items as tasks on pools\n"
"of 1, 2, 4, ... worker threads (the caller only submits and sleeps), in\n"
"interleaved rounds, and picks the smallest count that no other count beats\n"
"significantly: 95%% confidence intervals of the medians apart, and faster\n"
"by at least --min-gain. A pool config's \"threads\" is that count of\n"
"workers plus the calling thread.\n"
"\n"
"  --wait-us W        blocking time per item (default 200)\n"
"  --compute-us C     computing time per item (default 50)\n"
"  --ucpu U           target CPU utilisation, 0 < U <= 1 (default 1)\n"
"  --items N          tasks per run (default: 8 per thread of the largest count, >= 200)\n"
"  --max-threads N    largest count tried (default: max(4 Ncpu, 2 x estimate), <= 254)\n"
"  --policy NAME      policy to run (default: fifo, else dynamic, else stealing,\n"
"                     else the first found)\n"
"  -r, --repetitions N  measured rounds (default 7: fewer than 6 cannot\n"
"                     reach 95%% confidence)\n"
"  --min-gain PCT     the least gain that counts, in per cent (default 5;\n"
"                     2 with a RECORD)\n"
"  -h, --help\n"
"\n"
"With RECORD, a program recorded with TPOOL_RECORD (docs/record-format.md):\n"
"replays it under every policy and thread count (see tpool-bench replay\n"
"--help; the options of tpool-bench --help apply: -p, -t, -r, --runs...), says\n"
"which configuration would have run it fastest, with the 95%% confidence\n"
"interval of its time ratio to the recorded configuration (a bootstrap over\n"
"runs and rounds), and writes a configuration file that selects it: the\n"
"fastest when that interval lies below 1 and it gains at least --min-gain,\n"
"else the recorded configuration.\n"
"\n"
"  --write-config FILE  the configuration to write (default tpool-advice.json)\n"
"  --policies-from EXPERIMENT.json\n"
"                     try that experiment's \"policies\" (policies with\n"
"                     parameters) instead of every policy with its defaults\n"
"  --incomplete       replay a record without its end (a crash, _exit)\n");
}

/*
 * The blocking work as tasks: each of n tasks sleeps `sleep_ns`, then spins
 * `iters` and stores its value; the caller submits them all and sleeps on a
 * condition variable until the last one is done. As tasks, rather than a
 * parallel-for, no policy's chunking decides how many threads get items:
 * the pool's workers do, one task at a time each.
 */
typedef struct io_job {
    size_t n;          /* tasks per run */
    size_t want, done; /* of this run: submitted, finished (under lock) */
    uint64_t sleep_ns, iters;
    uint64_t *out;
    pthread_mutex_t lock;
    pthread_cond_t cond;
} io_job;

typedef struct io_task {
    io_job *job;
    size_t i;
} io_task;

static int io_init(io_job *j, size_t n, uint64_t sleep_ns, uint64_t iters)
{
    memset(j, 0, sizeof *j);
    j->n = n;
    j->sleep_ns = sleep_ns;
    j->iters = iters;
    j->out = calloc(n, sizeof *j->out);
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->cond, NULL);
    return j->out ? 0 : -1;
}

static void io_free(io_job *j)
{
    free(j->out);
    pthread_mutex_destroy(&j->lock);
    pthread_cond_destroy(&j->cond);
}

static void io_fn(void *arg)
{
    io_task *t = arg;
    io_job *j = t->job;
    if (j->sleep_ns)
        bench_sleep_ns(j->sleep_ns);
    j->out[t->i] = bench_spin(j->iters, t->i);
    pthread_mutex_lock(&j->lock);
    if (++j->done == j->want)
        pthread_cond_signal(&j->cond);
    pthread_mutex_unlock(&j->lock);
}

static int io_run(io_job *j, tpool *pool)
{
    io_task *t = malloc(j->n * sizeof *t);
    if (!t)
        return -1;
    memset(j->out, 0, j->n * sizeof *j->out);
    pthread_mutex_lock(&j->lock);
    j->done = 0;
    j->want = j->n;
    pthread_mutex_unlock(&j->lock);
    size_t submitted = 0;
    for (size_t i = 0; i < j->n; i++) {
        t[i] = (io_task){ j, i };
        if (tpool_submit(pool, io_fn, &t[i], NULL) != 0)
            break;
        submitted++;
    }
    pthread_mutex_lock(&j->lock);
    j->want = submitted; /* wait for those that run, then report */
    while (j->done < j->want)
        pthread_cond_wait(&j->cond, &j->lock);
    pthread_mutex_unlock(&j->lock);
    free(t);
    return submitted == j->n ? 0 : -1;
}

static int io_check(const io_job *j)
{
    for (size_t i = 0; i < j->n; i++)
        if (j->out[i] != bench_spin(j->iters, i))
            return -1;
    return 0;
}

static int cmp_u(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return (x > y) - (x < y);
}

int bench_advise(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "wait-us", required_argument, NULL, 'W' },
        { "compute-us", required_argument, NULL, 'C' },
        { "ucpu", required_argument, NULL, 'U' },
        { "items", required_argument, NULL, 'n' },
        { "max-threads", required_argument, NULL, 'm' },
        { "policy", required_argument, NULL, 'p' },
        { "repetitions", required_argument, NULL, 'r' },
        { "min-gain", required_argument, NULL, 'g' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    if (argc > 1 && argv[1][0] != '-')
        return bench_advise_record(argc, argv); /* advice for a recorded program */
    double wait_us = 200, compute_us = 50, ucpu = 1, min_gain = 5;
    long items = 0, maxt = 0, reps = 7;
    const char *policy = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "r:h", longopts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 'W': wait_us = strtod(optarg, &end); break;
        case 'C': compute_us = strtod(optarg, &end); break;
        case 'U': ucpu = strtod(optarg, &end); break;
        case 'n': items = strtol(optarg, &end, 10); break;
        case 'm': maxt = strtol(optarg, &end, 10); break;
        case 'r': reps = strtol(optarg, &end, 10); break;
        case 'g': min_gain = strtod(optarg, &end); break;
        case 'p': policy = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
        if (end && (*end || end == optarg)) {
            fprintf(stderr, "tpool-bench advise: bad number '%s'\n", optarg);
            return 2;
        }
    }
    if (optind < argc || !(wait_us >= 0) || wait_us > 1e6 || !(compute_us > 0) ||
        compute_us > 1e6 || !(ucpu > 0) || ucpu > 1 || items < 0 || maxt < 0 ||
        maxt > BENCH_MAX_SLOTS - 2 || reps < 1 || reps > 1000 || !(min_gain >= 0) ||
        min_gain >= 100) {
        fprintf(stderr, "tpool-bench advise: an option is out of range (see --help)\n");
        return 2;
    }

    /* the policy */
    bench_policy_desc *pol;
    size_t npol;
    if (bench_policies_find(&pol, &npol) != 0 || npol == 0) {
        fprintf(stderr, "tpool-bench advise: no policy found (set TPOOL_POLICY_PATH)\n");
        return 1;
    }
    const bench_policy_desc *use = NULL;
    static const char *const pref[] = { "fifo", "dynamic", "stealing" };
    for (size_t i = 0; i < npol && policy && !use; i++)
        if (strcmp(pol[i].name, policy) == 0)
            use = &pol[i];
    if (policy && !use) {
        fprintf(stderr, "tpool-bench advise: policy '%s' not found\n", policy);
        bench_policies_free(pol, npol);
        return 1;
    }
    for (size_t k = 0; k < 3 && !use; k++)
        for (size_t i = 0; i < npol && !use; i++)
            if (strcmp(pol[i].name, pref[k]) == 0)
                use = &pol[i];
    if (!use)
        use = &pol[0];
    bench_executor x;
    memset(&x, 0, sizeof x);
    x.kind = BENCH_EX_TPOOL;
    snprintf(x.label, sizeof x.label, "%s", use->name);
    snprintf(x.policy, sizeof x.policy, "%s", use->name);
    snprintf(x.path, sizeof x.path, "%s", use->path);
    bench_policies_free(pol, npol);

    /* W and C as this machine delivers them: the sleep overshoots (timer
     * slack), the spin is calibrated */
    bench_calibrate();
    uint64_t citers = bench_ns_to_iters(compute_us * 1000);
    enum { PROBES = 41 };
    double w[PROBES], cc[PROBES];
    volatile uint64_t sink = 0;
    for (int i = 0; i < PROBES; i++) {
        uint64_t t0 = bench_now_ns();
        if (wait_us > 0)
            bench_sleep_ns((uint64_t)(wait_us * 1000));
        uint64_t t1 = bench_now_ns();
        sink += bench_spin(citers, (uint64_t)i);
        uint64_t t2 = bench_now_ns();
        w[i] = (double)(t1 - t0);
        cc[i] = (double)(t2 - t1);
    }
    (void)sink;
    double W = bench_median(w, PROBES), C = bench_median(cc, PROBES);
    unsigned ncpu = tpool_default_threads();
    double est = ncpu * ucpu * (1 + W / C);
    unsigned est_n = est < 1 ? 1 : (unsigned)floor(est + 0.5);

    if (maxt == 0) {
        double m = 2 * est > 4.0 * ncpu ? 2 * est : 4.0 * ncpu;
        maxt = m > BENCH_MAX_SLOTS - 2 ? BENCH_MAX_SLOTS - 2 : (long)ceil(m);
    }
    unsigned th[64];
    size_t nth = 0;
    for (unsigned t = 1; t <= (unsigned)maxt && nth < 60; t *= 2)
        th[nth++] = t;
    th[nth++] = (unsigned)maxt;
    if (ncpu <= (unsigned)maxt)
        th[nth++] = ncpu;
    if (est_n <= (unsigned)maxt)
        th[nth++] = est_n;
    qsort(th, nth, sizeof *th, cmp_u);
    size_t u = 0;
    for (size_t i = 0; i < nth; i++)
        if (u == 0 || th[u - 1] != th[i])
            th[u++] = th[i];
    nth = u;
    if (items == 0)
        items = 8 * maxt > 200 ? 8 * maxt : 200;

    printf("tpool-bench advise: policy %s; %ld tasks of W = %.0f us blocking + C = %.0f us "
           "computing (asked: %.0f + %.0f)\n\n",
           x.label, items, W / 1e3, C / 1e3, wait_us, compute_us);
    fflush(stdout);

    io_job job;
    double *times = calloc(nth * (size_t)reps, sizeof *times);
    if (!times || io_init(&job, (size_t)items, (uint64_t)(wait_us * 1000), citers) != 0) {
        fprintf(stderr, "tpool-bench advise: out of memory\n");
        free(times);
        return 1;
    }
    /* One pool per count, all alive, and the counts interleaved: each round
     * runs every count once, in an order shuffled with a fixed seed, so a
     * drift of the machine falls on every count rather than on the last. */
    tpool *pools[64] = { NULL };
    bench_advise_row rows[64];
    size_t order[64];
    int status = 0;
    char err[256];
    for (size_t i = 0; i < nth; i++) {
        rows[i] = (bench_advise_row){ .threads = th[i], .times = times + i * (size_t)reps };
        /* th[i] workers run the tasks; the caller only submits and sleeps */
        if (bench_pool_create(&x, th[i] + 1, 200, &pools[i], err, sizeof err) != 0) {
            fprintf(stderr, "tpool-bench advise: %u threads: %s\n", th[i], err);
            status = 1;
        }
    }
    uint64_t rng = 0x5EEDA5A1u;
    for (long r = -1; r < reps; r++) {
        for (size_t i = 0; i < nth; i++)
            order[i] = i;
        for (size_t i = nth; i > 1; i--) {
            size_t j = (size_t)(bench_rand(&rng) % i), t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        for (size_t k = 0; k < nth; k++) {
            size_t i = order[k];
            if (!pools[i])
                continue;
            uint64_t a = bench_now_ns();
            int rc = io_run(&job, pools[i]);
            uint64_t b = bench_now_ns();
            if (rc || io_check(&job) != 0) {
                fprintf(stderr, "tpool-bench advise: %u threads: wrong result\n", th[i]);
                status = 1;
            }
            if (r >= 0) /* round -1 warms every pool up */
                times[i * (size_t)reps + (size_t)rows[i].n++] = (double)(b - a);
        }
    }
    for (size_t i = 0; i < nth; i++)
        if (pools[i])
            tpool_destroy(pools[i]);
    io_free(&job);

    size_t pick = bench_advise_pick(rows, nth, min_gain / 100);
    double t1 = NAN;
    for (size_t i = 0; i < nth; i++)
        if (rows[i].threads == 1)
            t1 = rows[i].median;
    /* a run is all `items` tasks (said above), as in the experiment's table */
    printf("%8s %13s %27s %9s %12s\n", "threads", "median ms/run", "95% CI of median, ms/run",
           "speedup", "tasks/s");
    size_t fastest = nth;
    for (size_t i = 0; i < nth; i++) {
        const bench_advise_row *row = &rows[i];
        if (row->n == 0) {
            printf("%8u %13s\n", row->threads, "failed");
            continue;
        }
        if (fastest == nth || row->median < rows[fastest].median)
            fastest = i;
        char ci[48];
        snprintf(ci, sizeof ci, "[%.2f, %.2f]", row->ci_lo / 1e6, row->ci_hi / 1e6);
        printf("%8u %13.2f %27s %9.2f %12.0f", row->threads, row->median / 1e6, ci, t1 / row->median,
               (double)items / (row->median * 1e-9));
        if (i == pick)
            printf("  <- pick");
        else if (row->beaten_by >= 0)
            printf("  (%u is significantly faster)", rows[row->beaten_by].threads);
        putchar('\n');
    }
    free(times);
    printf("\nW/C = %.0f us / %.0f us = %.2f; Ncpu = %u (tpool_default_threads), Ucpu = %.2f\n",
           W / 1e3, C / 1e3, W / C, ncpu, ucpu);
    printf("estimate:  Nthreads = Ncpu x Ucpu x (1 + W/C) = %u x %.2f x %.2f = %.1f -> %u\n",
           ncpu, ucpu, 1 + W / C, est, est_n);
    if (pick == nth) {
        printf("measured:  no count ran\n");
        return 1;
    }
    const bench_advise_row *p = &rows[pick];
    if (p->ci_level < 0.95) {
        printf("measured:  no pick: with %ld round%s the intervals of the medians reach only "
               "%.1f%% coverage, not 95%%; run with -r 6 or more\n",
               reps, reps == 1 ? "" : "s", 100 * p->ci_level);
        return status;
    }
    printf("measured:  %u thread%s: no count is significantly faster (95%% CIs of the medians "
           "apart and at least %.0f%% faster; coverage %.1f%% with %ld rounds)",
           p->threads, p->threads == 1 ? "" : "s", min_gain, 100 * p->ci_level, reps);
    if (fastest != pick)
        printf("; the fastest median, at %u threads, is not significantly faster",
               rows[fastest].threads);
    printf("\nconfig:    \"threads\": %u  (a config's threads is the worker count plus the "
           "calling thread: %u worker%s ran these tasks while the caller only waited)\n",
           p->threads + 1, p->threads, p->threads == 1 ? "" : "s");
    return status;
}

/*
 * The pick: the smallest count that no other count beats significantly,
 * where b beats a when b's whole 95% confidence interval for the median
 * lies below a's (b.ci_hi < a.ci_lo: at these sample sizes, every time of
 * b below most of a's; with fewer than 6 times no interval reaches 95%,
 * and nothing beats anything) and b's median is at least min_gain faster. The
 * fastest median is never beaten (an interval entirely below its lower
 * bound would put that count's median below it), so a pick exists
 * whenever a count ran. A noisy plateau yields its smallest count, run
 * after run, instead of whichever count the noise made fastest.
 */
size_t bench_advise_pick(bench_advise_row *rows, size_t n, double min_gain)
{
    for (size_t i = 0; i < n; i++) {
        bench_summary s;
        bench_summarise(rows[i].times, rows[i].n, &s);
        rows[i].median = s.median;
        rows[i].ci_lo = s.ci_lo;
        rows[i].ci_hi = s.ci_hi;
        rows[i].ci_level = s.ci_level;
        rows[i].beaten_by = -1;
    }
    size_t pick = n;
    for (size_t i = 0; i < n; i++) {
        bench_advise_row *a = &rows[i];
        if (a->n == 0)
            continue;
        for (size_t j = 0; j < n && a->beaten_by < 0; j++) {
            const bench_advise_row *b = &rows[j];
            if (j != i && b->n && b->ci_level >= 0.95 && a->ci_level >= 0.95 &&
                b->ci_hi < a->ci_lo && b->median <= (1 - min_gain) * a->median)
                a->beaten_by = (int)j;
        }
        if (a->beaten_by < 0 && (pick == n || a->threads < rows[pick].threads))
            pick = i;
    }
    return pick;
}
