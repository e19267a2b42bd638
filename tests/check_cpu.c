/*
 * check_cpu.c - the default thread count: cgroup quota parsing (v2, v1,
 * hybrid) against fixture files, and tpool_default_threads against the
 * affinity mask.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cpu.h"
#include "tpool.h"

/*
 * One fixture: the /proc/self/cgroup text, and files in directories below
 * the fake cgroup root ("" is the root itself): cpu.max (v2) unless `name`
 * says otherwise (v1: cpu.cfs_quota_us, cpu.cfs_period_us). NULL proc text
 * means the file does not exist.
 */
typedef struct {
    const char *dir;
    const char *cpu_max; /* the file's text */
    const char *name;    /* NULL: cpu.max */
} cg_file;

#define V1(dir, quota, period) \
    { dir, quota "\n", "cpu.cfs_quota_us" }, { dir, period "\n", "cpu.cfs_period_us" }

static const struct {
    const char *what;
    const char *proc;
    cg_file files[8];
    unsigned want;
} cases[] = {
    { "no quota", "0::/a\n", { { "a", "max 100000\n", NULL } }, 0 },
    { "quota 1.5 CPUs rounds up", "0::/a\n", { { "a", "150000 100000\n", NULL } }, 2 },
    { "quota exactly 3 CPUs", "0::/a\n", { { "a", "300000 100000\n", NULL } }, 3 },
    { "quota below one CPU", "0::/a\n", { { "a", "5000 100000\n", NULL } }, 1 },
    { "parent tighter than child", "0::/a/b\n",
      { { "a", "100000 100000\n", NULL }, { "a/b", "400000 100000\n", NULL } }, 1 },
    { "child tighter than parent", "0::/a/b\n",
      { { "a", "400000 100000\n", NULL }, { "a/b", "200000 100000\n", NULL } }, 2 },
    { "grandparent limits, parent unlimited", "0::/a/b/c\n",
      { { "", "max 100000\n", NULL },
        { "a", "300000 100000\n", NULL },
        { "a/b", "max 100000\n", NULL } }, 3 },
    { "quota on the root", "0::/\n", { { "", "200000 100000\n", NULL } }, 2 },
    { "no cpu.max files", "0::/a/b\n", { { NULL, NULL, NULL } }, 0 },
    { "missing /proc/self/cgroup", NULL, { { "a", "100000 100000\n", NULL } }, 0 },
    { "cgroup v1 only, no v1 files", "12:cpu,cpuacct:/a\n4:memory:/a\n",
      { { "a", "100000 100000\n", NULL } }, 0 },
    { "hybrid v1 and v2", "12:cpu,cpuacct:/x\n0::/a\n",
      { { "a", "200000 100000\n", NULL } }, 2 },
    /* cgroup v1: cpu.cfs_quota_us / cpu.cfs_period_us. */
    { "cgroup v1 quota 1.5 CPUs", "12:cpu,cpuacct:/a\n4:memory:/a\n",
      { V1("cpu,cpuacct/a", "150000", "100000") }, 2 },
    { "cgroup v1 no quota", "12:cpu,cpuacct:/a\n", { V1("cpu,cpuacct/a", "-1", "100000") }, 0 },
    { "cgroup v1 parent tighter", "12:cpu,cpuacct:/a/b\n",
      { V1("cpu,cpuacct/a", "100000", "100000"), V1("cpu,cpuacct/a/b", "400000", "100000") },
      1 },
    { "cgroup v1 through the cpu link", "12:cpu,cpuacct:/a\n",
      { V1("cpu/a", "300000", "100000") }, 3 },
    { "cgroup v1 cpu alone", "3:cpu:/a\n", { V1("cpu/a", "250000", "100000") }, 3 },
    { "cgroup v1 cpuacct is not cpu", "3:cpuacct:/a\n",
      { V1("cpuacct/a", "100000", "100000") }, 0 },
    { "cgroup v1 container (host path absent, quota on the mount's root)",
      "12:cpu,cpuacct:/docker/0123abcd\n", { V1("cpu,cpuacct", "200000", "100000") }, 2 },
    { "cgroup v1 zero period", "12:cpu,cpuacct:/a\n", { V1("cpu,cpuacct/a", "100000", "0") }, 0 },
    /* Hybrid: v1 holds the cpu controller, v2 is mounted at ROOT/unified. */
    { "hybrid, quota in v1", "12:cpu,cpuacct:/x\n0::/a\n",
      { V1("cpu,cpuacct/x", "300000", "100000"), { "unified/a", "max 100000\n", NULL } }, 3 },
    { "hybrid, the tighter of v1 and v2", "12:cpu,cpuacct:/x\n0::/a\n",
      { V1("cpu,cpuacct/x", "300000", "100000"), { "unified/a", "100000 100000\n", NULL } },
      1 },
    { "malformed quota", "0::/a\n", { { "a", "lots 100000\n", NULL } }, 0 },
    { "zero period", "0::/a\n", { { "a", "100000 0\n", NULL } }, 0 },
    { "empty cpu.max", "0::/a\n", { { "a", "", NULL } }, 0 },
    { "empty /proc/self/cgroup", "", { { "a", "100000 100000\n", NULL } }, 0 },
};

static char *tmpdir_new(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[PATH_MAX];
    snprintf(tmpl, sizeof tmpl, "%s/check_cpu.XXXXXX", base && *base ? base : "/tmp");
    char *d = mkdtemp(tmpl);
    ck_assert_msg(d != NULL, "mkdtemp: %s", strerror(errno));
    return strdup(d);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* mkdir -p for the fixture tree. */
static void make_dirs(const char *path)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = p + 1; *s; s++) {
        if (*s == '/') {
            *s = '\0';
            mkdir(p, 0700);
            *s = '/';
        }
    }
    mkdir(p, 0700);
}

START_TEST(test_cgroup_limit)
{
    char *tmp = tmpdir_new();
    char root[PATH_MAX], proc[PATH_MAX];
    snprintf(root, sizeof root, "%s/cg", tmp);
    snprintf(proc, sizeof proc, "%s/proc_self_cgroup", tmp);
    make_dirs(root);
    if (cases[_i].proc)
        write_file(proc, cases[_i].proc);
    for (int k = 0; k < 8 && cases[_i].files[k].dir; k++) {
        const cg_file *cf = &cases[_i].files[k];
        char dir[PATH_MAX + 64], file[PATH_MAX + 96];
        snprintf(dir, sizeof dir, "%s/%s", root, cf->dir);
        make_dirs(dir);
        snprintf(file, sizeof file, "%s/%s", dir, cf->name ? cf->name : "cpu.max");
        write_file(file, cf->cpu_max);
    }

    unsigned got = tpool__cgroup_cpu_limit(proc, root);
    ck_assert_msg(got == cases[_i].want, "%s: got %u, want %u", cases[_i].what, got,
                  cases[_i].want);

    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    ck_assert_int_eq(system(cmd), 0);
    free(tmp);
}
END_TEST

START_TEST(test_missing_root)
{
    ck_assert_uint_eq(tpool__cgroup_cpu_limit("/nonexistent/tpool/cgroup",
                                              "/nonexistent/tpool/root"), 0);
}
END_TEST

START_TEST(test_default_threads)
{
    unsigned aff = tpool__cpu_affinity_count();
    unsigned t = tpool_default_threads();
    ck_assert_uint_ge(aff, 1);
    ck_assert_uint_ge(t, 1);
    ck_assert_uint_le(t, aff);
    /* It is the quota-capped affinity count, on this machine as it is. */
    unsigned lim = tpool__cgroup_cpu_limit("/proc/self/cgroup", "/sys/fs/cgroup");
    ck_assert_uint_eq(t, lim > 0 && lim < aff ? lim : aff);
}
END_TEST

static Suite *cpu_suite(void)
{
    Suite *s = suite_create("cpu");
    TCase *tc = tcase_create("cgroup");
    tcase_add_loop_test(tc, test_cgroup_limit, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, test_missing_root);
    suite_add_tcase(s, tc);
    tc = tcase_create("default");
    tcase_add_test(tc, test_default_threads);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cpu_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
