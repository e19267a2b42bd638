/*
 * tpool-conformance - runs the conformance checks against one policy .so
 * and says, for each, whether it passed and, if not, what went wrong.
 * The checks themselves are in checks_*.c (shared with check_conformance).
 */
#ifdef HAVE_CONFIG_H
#include "tpool-build.h" /* autoconf's, for PACKAGE_VERSION */
#endif

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conformance.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

enum { EXIT_PASS = 0, EXIT_CHECK_FAILED = 1, EXIT_USAGE = 2 };

static const char *prog = "tpool-conformance";

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: %s [OPTIONS] POLICY.so\n"
            "\n"
            "Runs the tpool conformance checks against the scheduling policy in\n"
            "POLICY.so and prints PASS, FAIL or SKIP for each, with what went wrong.\n"
            "POLICY.so is a path; a bare file name means ./POLICY.so. A plain name\n"
            "without \".so\" (e.g. fifo) is looked up on the policy search path.\n"
            "\n"
            "Checks that call the policy's ops directly (no pool) run first; the\n"
            "checks through a real pool run only when those passed (see --all).\n"
            "Each check runs in a child process, so a policy that crashes or hangs\n"
            "the pool is reported and the next check still runs.\n"
            "\n"
            "Options:\n"
            "  -t, --threads LIST   pool thread counts to try, comma-separated\n"
            "                       (default 1,2,3,5; each 1..%d)\n"
            "  -s, --seed N         seed of the random task attributes and\n"
            "                       interleavings (default: the time; always printed)\n"
            "  -n, --tasks N        tasks per case (default 20000)\n"
            "  -p, --params JSON    the policy's parameters, a JSON object such as\n"
            "                       '{\"chunk\": 4}' (default: the policy's defaults)\n"
            "  -c, --check LIST     run only these checks, comma-separated\n"
            "  -a, --all            run the pool checks even when a direct check failed\n"
            "      --timeout SEC    give up on a check after SEC seconds (default 120;\n"
            "                       0: wait forever)\n"
            "      --no-fork        load the policy and run the checks in this process\n"
            "                       (for a debugger); a crash then ends the program,\n"
            "                       and no --timeout\n"
            "  -v, --verbose        print each case that passed, and the check summaries\n"
            "  -l, --list           list the checks and exit\n"
            "  -h, --help           print this help and exit\n"
            "      --version        print the version and exit\n"
            "\n"
            "Exit status: 0 when every check passed (or was skipped), 1 when a check\n"
            "failed, 2 for a usage error or a policy that cannot be loaded.\n"
            "\n"
            "Example: %s -t 1,4 -p '{\"chunk\": 4}' ./libmypolicy.so\n"
            "See docs/conformance.md for what each check verifies.\n",
            prog, 4096, prog);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry '%s --help'.\n", prog);
    va_end(ap);
    return EXIT_USAGE;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *s == '-' || *end || errno || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_threads(const char *s, tpc_options *o)
{
    char buf[256];
    if (strlen(s) >= sizeof buf)
        return -1;
    strcpy(buf, s);
    o->nthreads = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        unsigned long v;
        if (o->nthreads == TPC_MAX_THREADS || parse_uint(tok, 4096, &v) || v == 0)
            return -1;
        o->threads[o->nthreads++] = (unsigned)v;
    }
    return o->nthreads ? 0 : -1;
}

static void list_checks(void)
{
    for (size_t i = 0; i < tpc_nchecks; i++)
        printf("%-17s %-6s %s\n", tpc_checks[i].name,
               tpc_checks[i].kind == TPC_DIRECT ? "direct" : "pool", tpc_checks[i].summary);
}

int main(int argc, char **argv)
{
    tpc_options o;
    tpc_options_init(&o);
    unsigned long timeout = 120;
    int all = 0, no_fork = 0;
    const char *only = NULL;
    enum { OPT_TIMEOUT = 256, OPT_NOFORK, OPT_VERSION };
    static const struct option longopts[] = {
        { "threads", required_argument, NULL, 't' },
        { "seed", required_argument, NULL, 's' },
        { "tasks", required_argument, NULL, 'n' },
        { "params", required_argument, NULL, 'p' },
        { "check", required_argument, NULL, 'c' },
        { "all", no_argument, NULL, 'a' },
        { "timeout", required_argument, NULL, OPT_TIMEOUT },
        { "no-fork", no_argument, NULL, OPT_NOFORK },
        { "verbose", no_argument, NULL, 'v' },
        { "list", no_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, OPT_VERSION },
        { NULL, 0, NULL, 0 },
    };
    opterr = 0;
    int c;
    unsigned long v;
    while ((c = getopt_long(argc, argv, ":t:s:n:p:c:avlh", longopts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (parse_threads(optarg, &o))
                return usage_error("-t '%s': expected thread counts 1..4096 separated by "
                                   "commas, at most 16 (e.g. 1,2,4)", optarg);
            break;
        case 's':
            if (parse_uint(optarg, UINT_MAX, &v))
                return usage_error("-s '%s': expected a seed 0..4294967295", optarg);
            o.seed = (unsigned)v;
            break;
        case 'n':
            if (parse_uint(optarg, 100000000, &v) || v == 0)
                return usage_error("-n '%s': expected a task count 1..100000000", optarg);
            o.tasks = v;
            break;
        case 'p':
            o.params_json = optarg;
            break;
        case 'c':
            only = optarg;
            break;
        case 'a':
            all = 1;
            break;
        case OPT_TIMEOUT:
            if (parse_uint(optarg, 86400, &v))
                return usage_error("--timeout '%s': expected seconds 0..86400", optarg);
            timeout = v;
            break;
        case OPT_NOFORK:
            no_fork = o.no_fork = 1;
            break;
        case 'v':
            o.verbose = 1;
            break;
        case 'l':
            list_checks();
            return EXIT_PASS;
        case 'h':
            usage(stdout);
            return EXIT_PASS;
        case OPT_VERSION:
            printf("%s %s\n", prog, PACKAGE_VERSION);
            return EXIT_PASS;
        case ':':
            return usage_error("option '%s' needs a value", argv[optind - 1]);
        default:
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return usage_error("%s", optind == argc ? "name one policy .so file"
                                                : "name only one policy .so file");

    /* Which checks: all, or the -c list (names checked before anything runs). */
    unsigned char selected[64] = { 0 };
    if (only) {
        char buf[512];
        snprintf(buf, sizeof buf, "%s", only);
        for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
            int i = tpc_find(tok);
            if (i < 0)
                return usage_error("-c: no check named '%s' (see --list)", tok);
            selected[i] = 1;
        }
    } else {
        memset(selected, 1, sizeof selected);
    }

    /* A bare file name is a file here, as in dlopen's sense it would not be. */
    const char *arg = argv[optind];
    char *anchored = NULL;
    struct stat st;
    size_t len = strlen(arg);
    if (!strchr(arg, '/') && ((len > 3 && strcmp(arg + len - 3, ".so") == 0)
                              || stat(arg, &st) == 0)) {
        anchored = malloc(len + 3);
        if (!anchored)
            return EXIT_USAGE;
        sprintf(anchored, "./%s", arg);
        arg = anchored;
    }
    o.policy = arg;

    tpc_session s;
    tpool_error err;
    tpool_error_clear(&err);
    if (tpc_session_open(&s, &o, &err) != 0) {
        fprintf(stderr, "%s: %s\n", prog, err.text[0] ? err.text : tpool_strerror(err.code));
        free(anchored);
        return EXIT_USAGE;
    }

    printf("%s: policy \"%s\" from %s (ABI %u.%u)\n", prog, s.ops->name, s.file,
           (unsigned)(s.ops->abi_version >> 16), (unsigned)(s.ops->abi_version & 0xffff));
    printf("threads ");
    for (unsigned i = 0; i < o.nthreads; i++)
        printf("%s%u", i ? "," : "", o.threads[i]);
    printf("; %zu tasks; params %s; seed %u (repeat with -s %u)\n", o.tasks, tpc_params_text(&s),
           o.seed, o.seed);

    size_t passed = 0, failed = 0, skipped = 0;
    char direct_failed[256] = "";
    for (size_t i = 0; i < tpc_nchecks; i++) {
        if (!selected[i])
            continue;
        const tpc_check *ck = &tpc_checks[i];
        if (o.verbose)
            printf("----  %-17s %s\n", ck->name, ck->summary);
        fflush(stdout);
        tpc_ctx ctx;
        enum tpc_status r;
        if (ck->kind == TPC_POOL && direct_failed[0] && !all) {
            memset(&ctx, 0, sizeof ctx);
            r = tpc_skip(&ctx, "not run: the direct check(s) %s failed; fix those first (a "
                         "pool would run a task returned twice after freeing it, or wait "
                         "forever for a lost one), or pass --all", direct_failed);
        } else {
            r = no_fork ? tpc_run_inline(&s, i, &ctx) : tpc_run_isolated(&s, i, timeout, &ctx);
        }
        const char *word = r == TPC_PASS ? "PASS" : r == TPC_FAIL ? "FAIL" : "SKIP";
        printf("%s  %s\n", word, ck->name);
        if (r != TPC_PASS)
            printf("      %s\n", ctx.msg);
        if (r == TPC_FAIL && ck->kind == TPC_DIRECT) {
            size_t n = strlen(direct_failed);
            snprintf(direct_failed + n, sizeof direct_failed - n, "%s%s", n ? ", " : "",
                     ck->name);
        }
        passed += r == TPC_PASS;
        failed += r == TPC_FAIL;
        skipped += r == TPC_SKIP;
    }
    printf("%s: %zu passed, %zu failed, %zu skipped (seed %u)\n", failed ? "FAILED" : "OK",
           passed, failed, skipped, o.seed);
    tpc_session_close(&s);
    free(anchored);
    return failed ? EXIT_CHECK_FAILED : EXIT_PASS;
}
