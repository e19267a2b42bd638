/* cpu_linux.c - default thread count on Linux: affinity mask (of any size),
 * cgroup CPU quota (v2, v1 and hybrid mode), capped at TPOOL_MAX_THREADS. */
#define _GNU_SOURCE
#include "cpu.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tpool.h"

/* The largest affinity mask asked for, in CPUs: far above any kernel's
 * NR_CPUS, so only a failing kernel ends the doubling below. */
#define MAX_MASK_CPUS (1u << 20)

unsigned tpool__cpu_affinity_count(void)
{
    /* The kernel refuses (EINVAL) a mask smaller than its own CPU count, and
     * cpu_set_t holds 1024 CPUs: a bigger machine needs a bigger mask. */
    for (unsigned ncpu = CPU_SETSIZE; ncpu <= MAX_MASK_CPUS; ncpu *= 2) {
        cpu_set_t *set = CPU_ALLOC(ncpu);
        if (!set)
            break;
        size_t size = CPU_ALLOC_SIZE(ncpu);
        int rc = sched_getaffinity(0, size, set);
        int e = errno;
        int n = rc == 0 ? CPU_COUNT_S(size, set) : 0;
        CPU_FREE(set);
        if (n > 0)
            return (unsigned)n;
        if (rc == 0 || e != EINVAL)
            break;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n <= 0)
        return 1u;
    return n > (long)UINT_MAX ? UINT_MAX : (unsigned)n;
}

/* ceil(quota / period) as a CPU count, 0 for no quota. */
static unsigned cpus_of(unsigned long long quota, unsigned long long period)
{
    if (period == 0 || quota == 0)
        return 0;
    unsigned long long n = (quota + period - 1) / period;
    return n > UINT_MAX ? UINT_MAX : (unsigned)n;
}

/* cgroup v2: "MAX PERIOD" in DIR/cpu.max ("max" = no quota). */
static unsigned read_cpu_max(const char *dir)
{
    char file[PATH_MAX];
    snprintf(file, sizeof file, "%s/cpu.max", dir);
    FILE *f = fopen(file, "r");
    if (!f)
        return 0;
    char quota[32];
    unsigned long long period = 0;
    unsigned result = 0;
    if (fscanf(f, "%31s %llu", quota, &period) == 2 && strcmp(quota, "max") != 0) {
        char *end;
        unsigned long long q = strtoull(quota, &end, 10);
        if (*end == '\0')
            result = cpus_of(q, period);
    }
    fclose(f);
    return result;
}

/* One integer from DIR/NAME, or -1 when it cannot be read. */
static long long read_ll(const char *dir, const char *name)
{
    char file[PATH_MAX];
    snprintf(file, sizeof file, "%s/%s", dir, name);
    FILE *f = fopen(file, "r");
    if (!f)
        return -1;
    long long v = -1;
    if (fscanf(f, "%lld", &v) != 1)
        v = -1;
    fclose(f);
    return v;
}

/* cgroup v1: DIR/cpu.cfs_quota_us over DIR/cpu.cfs_period_us (quota -1 =
 * none). */
static unsigned read_cfs_quota(const char *dir)
{
    long long quota = read_ll(dir, "cpu.cfs_quota_us");
    long long period = read_ll(dir, "cpu.cfs_period_us");
    return quota > 0 && period > 0 ? cpus_of((unsigned long long)quota,
                                             (unsigned long long)period)
                                   : 0;
}

/*
 * The tightest quota read by `read` on the way from BASE/REL up to BASE
 * (a cgroup's limit applies to everything below it). REL starts with '/'.
 * In a container without a cgroup namespace REL names the container's
 * cgroup on the host while BASE is the container's own: the directories
 * below BASE do not exist, and BASE itself holds the container's quota.
 */
static unsigned tightest(const char *base, const char *rel_in, unsigned (*read)(const char *))
{
    char rel[4096];
    snprintf(rel, sizeof rel, "%s", rel_in);
    unsigned best = 0;
    for (;;) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s%s", base, strcmp(rel, "/") == 0 ? "" : rel);
        unsigned lim = read(dir);
        if (lim > 0 && (best == 0 || lim < best))
            best = lim;
        if (strcmp(rel, "/") == 0)
            break;
        char *slash = strrchr(rel, '/');
        if (slash == rel)
            rel[1] = '\0';
        else
            *slash = '\0';
    }
    return best;
}

/* True when the comma-separated controller list names "cpu". */
static bool has_cpu(const char *list, size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t n = strcspn(list + i, ",");
        if (n > len - i)
            n = len - i;
        if (n == 3 && strncmp(list + i, "cpu", 3) == 0)
            return true;
        i += n + 1;
    }
    return false;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

unsigned tpool__cgroup_cpu_limit(const char *proc_self_cgroup, const char *cgroup_root)
{
    FILE *f = fopen(proc_self_cgroup, "r");
    if (!f)
        return 0;
    char line[4096];
    char rel2[4096] = "", rel1[4096] = "", ctl1[256] = "";
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        /* "ID:CONTROLLERS:PATH"; v2's unified entry is "0::PATH". */
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2 || c2[1] != '/')
            continue;
        if (c2 == c1 + 1 && strncmp(line, "0:", 2) == 0)
            snprintf(rel2, sizeof rel2, "%s", c2 + 1);
        else if (has_cpu(c1 + 1, (size_t)(c2 - c1 - 1))) {
            snprintf(rel1, sizeof rel1, "%s", c2 + 1);
            snprintf(ctl1, sizeof ctl1, "%.*s", (int)(c2 - c1 - 1), c1 + 1);
        }
    }
    fclose(f);

    unsigned v1 = 0, v2 = 0;
    char base[PATH_MAX];
    if (rel1[0]) {
        /* cgroup v1 (alone or beside v2: hybrid mode): the cpu controller's
         * hierarchy is mounted at ROOT/CONTROLLERS ("cpu,cpuacct"), which
         * systems also link as ROOT/cpu. */
        snprintf(base, sizeof base, "%s/%s", cgroup_root, ctl1);
        if (!is_dir(base))
            snprintf(base, sizeof base, "%s/cpu", cgroup_root);
        v1 = tightest(base, rel1, read_cfs_quota);
    }
    if (rel2[0]) {
        /* cgroup v2: mounted at ROOT, or at ROOT/unified in hybrid mode
         * (where the cpu controller is rarely attached to it). */
        v2 = tightest(cgroup_root, rel2, read_cpu_max);
        snprintf(base, sizeof base, "%s/unified", cgroup_root);
        unsigned u = rel1[0] && is_dir(base) ? tightest(base, rel2, read_cpu_max) : 0;
        if (u > 0 && (v2 == 0 || u < v2))
            v2 = u;
    }
    return v1 && v2 ? (v1 < v2 ? v1 : v2) : v1 ? v1 : v2;
}

/* Where tpool_default_threads reads the cgroup quota; only tests move them. */
static const char *proc_self_cgroup_file = "/proc/self/cgroup";
static const char *cgroup_root_dir = "/sys/fs/cgroup";

void tpool__test_cgroup_files(const char *proc_self_cgroup, const char *cgroup_root)
{
    proc_self_cgroup_file = proc_self_cgroup ? proc_self_cgroup : "/proc/self/cgroup";
    cgroup_root_dir = cgroup_root ? cgroup_root : "/sys/fs/cgroup";
}

unsigned tpool_default_threads(void)
{
    unsigned n = tpool__cpu_affinity_count();
    unsigned lim = tpool__cgroup_cpu_limit(proc_self_cgroup_file, cgroup_root_dir);
    if (lim > 0 && lim < n)
        n = lim;
    /* Callers check a requested count against the limit, then replace 0 by
     * this one: it must be within the limit too. */
    if (n > TPOOL_MAX_THREADS)
        n = TPOOL_MAX_THREADS;
    return n > 0 ? n : 1;
}
