/* cpu_linux.c - default thread count on Linux: affinity mask, cgroup v2 quota. */
#define _GNU_SOURCE
#include "cpu.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tpool.h"

unsigned tpool__cpu_affinity_count(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0)
            return (unsigned)n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1u;
}

/* Reads "MAX PERIOD" from a cpu.max file; returns ceil(MAX/PERIOD) or 0. */
static unsigned read_cpu_max(const char *file)
{
    FILE *f = fopen(file, "r");
    if (!f)
        return 0;
    char quota[32];
    unsigned long long period = 0;
    unsigned result = 0;
    if (fscanf(f, "%31s %llu", quota, &period) == 2 && strcmp(quota, "max") != 0
        && period > 0) {
        char *end;
        unsigned long long q = strtoull(quota, &end, 10);
        if (*end == '\0' && q > 0)
            result = (unsigned)((q + period - 1) / period);
    }
    fclose(f);
    return result;
}

unsigned tpool__cgroup_cpu_limit(const char *proc_self_cgroup, const char *cgroup_root)
{
    FILE *f = fopen(proc_self_cgroup, "r");
    if (!f)
        return 0;
    char line[4096];
    char rel[4096] = "";
    while (fgets(line, sizeof line, f)) {
        /* cgroup v2 entries look like "0::/some/path". */
        if (strncmp(line, "0::", 3) == 0) {
            snprintf(rel, sizeof rel, "%s", line + 3);
            rel[strcspn(rel, "\n")] = '\0';
            break;
        }
    }
    fclose(f);
    if (rel[0] != '/')
        return 0;

    /* The tightest quota on the way from our cgroup up to the root applies. */
    unsigned best = 0;
    char path[8192];
    for (;;) {
        snprintf(path, sizeof path, "%s%s/cpu.max", cgroup_root,
                 strcmp(rel, "/") == 0 ? "" : rel);
        unsigned lim = read_cpu_max(path);
        if (lim > 0 && (best == 0 || lim < best))
            best = lim;
        char *slash = strrchr(rel, '/');
        if (!slash || slash == rel) {
            if (strcmp(rel, "/") == 0)
                break;
            strcpy(rel, "/");
            continue;
        }
        *slash = '\0';
    }
    return best;
}

unsigned tpool_default_threads(void)
{
    unsigned n = tpool__cpu_affinity_count();
    unsigned lim = tpool__cgroup_cpu_limit("/proc/self/cgroup", "/sys/fs/cgroup");
    if (lim > 0 && lim < n)
        n = lim;
    return n > 0 ? n : 1;
}
