/*
 * check_cpu.c - the default thread count: cgroup v2 quota parsing against
 * fixture files, and tpool_default_threads against the affinity mask.
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
 * One fixture: the /proc/self/cgroup text, and cpu.max contents for
 * directories below the fake cgroup root ("" is the root itself). NULL
 * proc text means the file does not exist.
 */
typedef struct {
    const char *dir;
    const char *cpu_max;
} cg_file;

static const struct {
    const char *what;
    const char *proc;
    cg_file files[4];
    unsigned want;
} cases[] = {
    { "no quota", "0::/a\n", { { "a", "max 100000\n" } }, 0 },
    { "quota 1.5 CPUs rounds up", "0::/a\n", { { "a", "150000 100000\n" } }, 2 },
    { "quota exactly 3 CPUs", "0::/a\n", { { "a", "300000 100000\n" } }, 3 },
    { "quota below one CPU", "0::/a\n", { { "a", "5000 100000\n" } }, 1 },
    { "parent tighter than child", "0::/a/b\n",
      { { "a", "100000 100000\n" }, { "a/b", "400000 100000\n" } }, 1 },
    { "child tighter than parent", "0::/a/b\n",
      { { "a", "400000 100000\n" }, { "a/b", "200000 100000\n" } }, 2 },
    { "grandparent limits, parent unlimited", "0::/a/b/c\n",
      { { "", "max 100000\n" }, { "a", "300000 100000\n" }, { "a/b", "max 100000\n" } }, 3 },
    { "quota on the root", "0::/\n", { { "", "200000 100000\n" } }, 2 },
    { "no cpu.max files", "0::/a/b\n", { { NULL, NULL } }, 0 },
    { "missing /proc/self/cgroup", NULL, { { "a", "100000 100000\n" } }, 0 },
    { "cgroup v1 only", "12:cpu,cpuacct:/a\n4:memory:/a\n",
      { { "a", "100000 100000\n" } }, 0 },
    { "hybrid v1 and v2", "12:cpu,cpuacct:/x\n0::/a\n",
      { { "a", "200000 100000\n" } }, 2 },
    { "malformed quota", "0::/a\n", { { "a", "lots 100000\n" } }, 0 },
    { "zero period", "0::/a\n", { { "a", "100000 0\n" } }, 0 },
    { "empty cpu.max", "0::/a\n", { { "a", "" } }, 0 },
    { "empty /proc/self/cgroup", "", { { "a", "100000 100000\n" } }, 0 },
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
    for (int k = 0; k < 4 && cases[_i].files[k].dir; k++) {
        char dir[PATH_MAX + 64], file[PATH_MAX + 80];
        snprintf(dir, sizeof dir, "%s/%s", root, cases[_i].files[k].dir);
        make_dirs(dir);
        snprintf(file, sizeof file, "%s/cpu.max", dir);
        write_file(file, cases[_i].files[k].cpu_max);
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
