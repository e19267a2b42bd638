/*
 * check_loader.c - finding, loading and refusing policy shared objects;
 * tpool_policy_list; tpool_config_resolve.
 *
 * The test modules (tests/modules/mod_*.c) are found through the directory
 * in TPOOL_TEST_MODULES. Every refusal is checked for its code and for the
 * words a user needs: which file, what is wrong, and dlerror's own text.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "loader.h"
#include "tpool-module.h"
#include "tpool.h"

/* ---- helpers ---------------------------------------------------------------- */

static const char *mods(void)
{
    const char *d = getenv("TPOOL_TEST_MODULES");
    ck_assert_msg(d && *d, "TPOOL_TEST_MODULES is not set (run through make check)");
    return d;
}

/* The path of test module `name` (a static buffer per call site is enough:
 * callers copy when they need two). */
static char *mod(const char *name)
{
    static char buf[4][PATH_MAX];
    static int next;
    char *b = buf[next++ % 4];
    snprintf(b, PATH_MAX, "%s/%s.so", mods(), name);
    return b;
}

#define ck_assert_has(hay, needle) \
    ck_assert_msg(strstr((hay), (needle)) != NULL, \
                  "expected \"%s\" in \"%s\"", (needle), (hay))

/* Each test runs in its own process (Check forks), but tests must not depend
 * on the environment make check sets for the other suites. */
static void setup(void)
{
    unsetenv("TPOOL_POLICY_PATH");
    unsetenv("MOD_PREFIX_SIZE");
    unsetenv("MOD_BADPARAMS");
}

/* A scratch directory, removed with everything directly in it. */
static char *tmpdir_new(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[PATH_MAX];
    snprintf(tmpl, sizeof tmpl, "%s/check_loader.XXXXXX", base && *base ? base : "/tmp");
    char *d = mkdtemp(tmpl);
    ck_assert_msg(d != NULL, "mkdtemp: %s", strerror(errno));
    return strdup(d);
}

static void tmpdir_rm(char *dir)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(dir);
}

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    ck_assert_msg(f != NULL, "%s: %s", p, strerror(errno));
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* Copies the first `len` bytes of src (all of it when len is 0) to dir/name. */
static void copy_file(const char *src, const char *dir, const char *name, size_t len)
{
    FILE *f = fopen(src, "rb");
    ck_assert_msg(f != NULL, "%s: %s", src, strerror(errno));
    static char buf[1 << 22];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    ck_assert(n > 0 && n < sizeof buf);
    write_file(dir, name, buf, len && len < n ? len : n);
}

/* A configuration built by hand, so the loader is tested on its own. */
typedef struct {
    tpool_config cfg;
    char *dirs[4];
} test_cfg;

static void cfg_init(test_cfg *t, const char *policy, const char *d0, const char *d1)
{
    memset(t, 0, sizeof *t);
    t->cfg.policy = strdup(policy);
    if (d0)
        t->dirs[t->cfg.npolicy_path++] = strdup(d0);
    if (d1)
        t->dirs[t->cfg.npolicy_path++] = strdup(d1);
    t->cfg.policy_path = t->dirs;
    t->cfg.source = strdup("<test>");
}

static void cfg_done(test_cfg *t)
{
    free(t->cfg.policy);
    free(t->cfg.source);
    for (size_t i = 0; i < t->cfg.npolicy_path; i++)
        free(t->dirs[i]);
}

/* What dlopen itself says about `path`, to check it is passed on verbatim. */
static void dlopen_text(const char *path, char *buf, size_t size)
{
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    ck_assert_msg(dl == NULL, "%s unexpectedly loads", path);
    snprintf(buf, size, "%s", dlerror());
}

/* True when `path` is no longer mapped (a refused .so must be closed). */
static int unloaded(const char *path)
{
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    if (dl)
        dlclose(dl);
    return dl == NULL;
}

/* ---- loading a good policy ---------------------------------------------------- */

START_TEST(test_load_ok_by_path)
{
    tpool__policy_handle h;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__policy_load_path(mod("mod_ok"), &h, &err), 0);
    ck_assert_int_eq(err.code, 0);
    ck_assert_ptr_nonnull(h.dl);
    ck_assert_str_eq(h.path, mod("mod_ok"));
    ck_assert_str_eq(h.ops.name, "mod_ok");
    ck_assert_uint_eq(h.ops.nparams, 2);
    ck_assert_str_eq(h.ops.params[0].name, "depth");
    ck_assert_str_eq(h.ops.params[1].name, "mode");
    ck_assert_uint_eq(h.nstats, 1);
    ck_assert_str_eq(h.ops.stat_names[0], "pushes");

    /* The module is a real policy: drive it through the copied ops. */
    tpool_param_value pv[2] = { { .i = 4 }, { .i = 0 } };
    char ebuf[128] = "";
    tpool_policy_env env = { 2, 3, pv, ebuf, sizeof ebuf, 0 };
    void *st = NULL;
    /* A host that does not say which ABI it speaks is refused by the module
     * (tests/modules/mod_common.h); the core always says it. */
    ck_assert_int_ne(h.ops.create(&env, &st), 0);
    ck_assert_msg(strstr(ebuf, "the host speaks policy ABI 0.0") != NULL, "%s", ebuf);
    env.abi_version = TPOOL_POLICY_ABI_VERSION;
    ck_assert_int_eq(h.ops.create(&env, &st), 0);
    tpool_task a = { 0 }, b = { 0 };
    ck_assert_int_eq(h.ops.push(st, &a, 0), TPOOL_WAKE_ANY);
    ck_assert_int_eq(h.ops.push(st, &b, 2), TPOOL_WAKE_ANY);
    ck_assert_ptr_eq(h.ops.pop(st, 1), &a);
    ck_assert_ptr_eq(h.ops.pop(st, 2), &b);
    ck_assert_ptr_null(h.ops.pop(st, 0));
    uint64_t n = 9;
    h.ops.stats_read(st, 2, &n);
    ck_assert_uint_eq(n, 1);
    h.ops.stats_reset(st);
    h.ops.stats_read(st, 2, &n);
    ck_assert_uint_eq(n, 0);
    h.ops.destroy(st);

    tpool__policy_unload(&h);
    ck_assert_ptr_null(h.dl);
    ck_assert_ptr_null(h.path);
    tpool__policy_unload(&h); /* twice is harmless */
}
END_TEST

START_TEST(test_load_by_name_policy_path)
{
    test_cfg t;
    cfg_init(&t, "mod_ok", "/nonexistent/tpool-dir", mods());
    tpool__policy_handle h;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__policy_load(&t.cfg, &h, &err), 0);
    ck_assert_str_eq(h.ops.name, "mod_ok");
    ck_assert_str_eq(h.path, mod("mod_ok"));
    tpool__policy_unload(&h);
    cfg_done(&t);
}
END_TEST

START_TEST(test_load_by_name_env)
{
    /* Empty components are skipped, not taken as the current directory. */
    char env[PATH_MAX + 64];
    snprintf(env, sizeof env, "::/nonexistent/tpool-dir::%s:", mods());
    setenv("TPOOL_POLICY_PATH", env, 1);
    test_cfg t;
    cfg_init(&t, "mod_ok", NULL, NULL);
    tpool__policy_handle h;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__policy_load(&t.cfg, &h, &err), 0);
    ck_assert_str_eq(h.path, mod("mod_ok"));
    tpool__policy_unload(&h);

    char **dirs;
    size_t n;
    ck_assert_int_eq(tpool__search_path(&t.cfg, &dirs, &n, &err), 0);
    ck_assert_uint_eq(n, 3); /* the two, then the install directory */
    ck_assert_str_eq(dirs[0], "/nonexistent/tpool-dir");
    ck_assert_str_eq(dirs[1], mods());
    tpool__search_path_free(dirs, n);
    cfg_done(&t);
}
END_TEST

/*
 * Search order: configuration directories, then TPOOL_POLICY_PATH. Two
 * directories each hold a "pick.so": one a copy of mod_ok, one of
 * mod_prefix; the descriptor's name tells which was loaded.
 */
static const struct {
    const char *cfg0, *cfg1, *env; /* "A" or "B" or NULL */
    const char *want;
} order_cases[] = {
    { "A", "B", NULL, "mod_ok" },
    { "B", "A", NULL, "mod_prefix" },
    { "A", NULL, "B", "mod_ok" },
    { "B", NULL, "A", "mod_prefix" },
    { NULL, NULL, "A:B", "mod_ok" },
    { NULL, NULL, "B:A", "mod_prefix" },
};

START_TEST(test_search_order)
{
    char *A = tmpdir_new(), *B = tmpdir_new();
    copy_file(mod("mod_ok"), A, "pick.so", 0);
    copy_file(mod("mod_prefix"), B, "pick.so", 0);
#define DIR_OF(x) (!(x) ? NULL : (x)[0] == 'A' ? A : B)
    const char *c0 = DIR_OF(order_cases[_i].cfg0), *c1 = DIR_OF(order_cases[_i].cfg1);
    if (order_cases[_i].env) {
        char env[2 * PATH_MAX];
        snprintf(env, sizeof env, "%s:%s", DIR_OF(order_cases[_i].env),
                 order_cases[_i].env[1] ? DIR_OF(order_cases[_i].env + 2) : "");
        setenv("TPOOL_POLICY_PATH", env, 1);
    }
#undef DIR_OF
    test_cfg t;
    cfg_init(&t, "pick", c0, c1);
    tpool__policy_handle h;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__policy_load(&t.cfg, &h, &err), 0);
    ck_assert_msg(strcmp(h.ops.name, order_cases[_i].want) == 0,
                  "case %d: loaded %s from %s, want %s", _i, h.ops.name, h.path,
                  order_cases[_i].want);

    /* The search path lists them in the same order, without duplicates,
     * and ends with the install directory. */
    char **dirs;
    size_t n;
    ck_assert_int_eq(tpool__search_path(&t.cfg, &dirs, &n, &err), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(dirs[0], strcmp(order_cases[_i].want, "mod_ok") == 0 ? A : B);
    ck_assert_str_eq(dirs[1], strcmp(order_cases[_i].want, "mod_ok") == 0 ? B : A);
    tpool__search_path_free(dirs, n);

    tpool__policy_unload(&h);
    cfg_done(&t);
    tmpdir_rm(A);
    tmpdir_rm(B);
}
END_TEST

START_TEST(test_search_path_dedup)
{
    char env[2 * PATH_MAX + 8];
    snprintf(env, sizeof env, "%s:/x:%s", mods(), mods());
    setenv("TPOOL_POLICY_PATH", env, 1);
    test_cfg t;
    cfg_init(&t, "mod_ok", "/x", mods());
    char **dirs;
    size_t n;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__search_path(&t.cfg, &dirs, &n, &err), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(dirs[0], "/x");
    ck_assert_str_eq(dirs[1], mods());
    tpool__search_path_free(dirs, n);
    cfg_done(&t);
}
END_TEST

/*
 * A policy_path of 400000 entries, each directory listed twice (the second
 * copies in reverse order) and the modules directory last: the search path
 * keeps the first of each in order, and a name is found in the last one.
 * Building it compared every entry with every earlier one, which took
 * minutes here (and days for a 64 MiB configuration); the tcase's time
 * limit turns such a regression into a failure.
 */
START_TEST(test_search_path_long)
{
    enum { DISTINCT = 200000 };
    char **path = malloc((2 * DISTINCT + 1) * sizeof *path);
    ck_assert_ptr_nonnull(path);
    for (size_t i = 0; i < DISTINCT; i++) {
        char d[64];
        snprintf(d, sizeof d, "/nonexistent/tpool/%zu", i);
        path[i] = strdup(d);
        path[2 * DISTINCT - 1 - i] = strdup(d);
        ck_assert(path[i] && path[2 * DISTINCT - 1 - i]);
    }
    path[2 * DISTINCT] = strdup(mods());
    tpool_config cfg = { .policy = (char *)"mod_ok", .policy_path = path,
                         .npolicy_path = 2 * DISTINCT + 1 };
    char **dirs;
    size_t n;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__search_path(&cfg, &dirs, &n, &err), 0);
    ck_assert_uint_eq(n, DISTINCT + 2); /* and the install directory */
    for (size_t i = 0; i < DISTINCT; i++)
        ck_assert_str_eq(dirs[i], path[i]);
    ck_assert_str_eq(dirs[DISTINCT], mods());
    tpool__search_path_free(dirs, n);

    tpool__policy_handle h;
    ck_assert_int_eq(tpool__policy_load(&cfg, &h, &err), 0);
    ck_assert_str_eq(h.path, mod("mod_ok"));
    tpool__policy_unload(&h);
    for (size_t i = 0; i <= 2 * DISTINCT; i++)
        free(path[i]);
    free(path);
}
END_TEST

/* The current directory is searched only when a path says so. */
START_TEST(test_current_directory)
{
    char *d = tmpdir_new();
    copy_file(mod("mod_ok"), d, "here.so", 0);
    char old[PATH_MAX];
    ck_assert_ptr_nonnull(getcwd(old, sizeof old));
    ck_assert_int_eq(chdir(d), 0);

    tpool__policy_handle h;
    tpool_error err;
    test_cfg t;

    cfg_init(&t, "here", NULL, NULL);
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__policy_load(&t.cfg, &h, &err), TPOOL_ENOENT);
    ck_assert_has(err.text, "policy 'here' not found");
    cfg_done(&t);

    cfg_init(&t, "./here.so", NULL, NULL);
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__policy_load(&t.cfg, &h, &err), 0);
    ck_assert_str_eq(h.ops.name, "mod_ok");
    tpool__policy_unload(&h);
    cfg_done(&t);

    /* An explicit file name without '/' still means that file, not a
     * library search through LD_LIBRARY_PATH. */
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__policy_load_path("here.so", &h, &err), 0);
    ck_assert_str_eq(h.ops.name, "mod_ok");
    tpool__policy_unload(&h);

    ck_assert_int_eq(chdir(old), 0);
    tmpdir_rm(d);
}
END_TEST

/* ---- files that are no policy -------------------------------------------------- */

START_TEST(test_missing_file)
{
    tpool__policy_handle h;
    tpool_error err;
    tpool_error_clear(&err);
    const char *p = "/nonexistent/tpool-dir/gone.so";
    ck_assert_int_eq(tpool__policy_load_path(p, &h, &err), TPOOL_ENOENT);
    ck_assert_int_eq(err.code, TPOOL_ENOENT);
    ck_assert_has(err.text, "policy '/nonexistent/tpool-dir/gone.so'");
    ck_assert_has(err.text, "no such file");
    ck_assert_str_eq(err.source, p);
    ck_assert_str_eq(err.key, "policy");
    ck_assert_ptr_null(h.dl);

    /* Through a configuration, a path is loaded directly, not searched. */
    test_cfg t;
    cfg_init(&t, p, mods(), NULL);
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__policy_load(&t.cfg, &h, &err), TPOOL_ENOENT);
    ck_assert_has(err.text, p);
    cfg_done(&t);
}
END_TEST

START_TEST(test_directory)
{
    char *d = tmpdir_new();
    tpool__policy_handle h;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__policy_load_path(d, &h, &err), TPOOL_ELOAD);
    ck_assert_has(err.text, d);
    ck_assert_has(err.text, "is a directory");
    ck_assert_str_eq(err.key, "policy");

    /* A directory named like a policy on the search path is found and
     * refused, not skipped. */
    char sub[PATH_MAX];
    snprintf(sub, sizeof sub, "%s/dir.so", d);
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    test_cfg t;
    cfg_init(&t, "dir", d, NULL);
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__policy_load(&t.cfg, &h, &err), TPOOL_ELOAD);
    ck_assert_has(err.text, sub);
    cfg_done(&t);
    tmpdir_rm(d);
}
END_TEST

/* Files that are not shared objects at all: dlopen refuses them and its
 * words reach the user unchanged. */
START_TEST(test_not_elf)
{
    char *d = tmpdir_new();
    const char text[] = "this is a text file, not a shared object\n";
    write_file(d, "text.so", text, sizeof text - 1);
    copy_file(mod("mod_ok"), d, "trunc.so", 200);
    char garbage[4096];
    for (size_t i = 0; i < sizeof garbage; i++)
        garbage[i] = (char)(i * 131u + 7u);
    memcpy(garbage, "\x7f" "ELF", 4); /* an ELF magic, then nonsense */
    write_file(d, "garbage.so", garbage, sizeof garbage);
    write_file(d, "empty.so", "", 0);

    const char *names[] = { "text.so", "trunc.so", "garbage.so", "empty.so" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char p[PATH_MAX], want[1024];
        snprintf(p, sizeof p, "%s/%s", d, names[i]);
        /* A truncated ELF file is refused before dlopen (which could die of
         * SIGBUS on it); the others carry dlopen's own text. */
        if (strcmp(names[i], "trunc.so") == 0)
            snprintf(want, sizeof want, "truncated ELF file");
        else
            dlopen_text(p, want, sizeof want);
        tpool__policy_handle h;
        tpool_error err;
        tpool_error_clear(&err);
        ck_assert_int_eq(tpool__policy_load_path(p, &h, &err), TPOOL_ELOAD);
        ck_assert_has(err.text, p);
        ck_assert_has(err.text, "cannot load");
        ck_assert_has(err.text, want);
        ck_assert_str_eq(err.source, p);
        ck_assert_ptr_null(h.dl);
    }
    tmpdir_rm(d);
}
END_TEST

/* A genuine shared object that is not a policy: the jansson library this
 * test links with. */
START_TEST(test_foreign_so)
{
    Dl_info info;
    ck_assert(dladdr((void *)json_object, &info) != 0);
    ck_assert_ptr_nonnull(info.dli_fname);
    ck_assert_msg(strchr(info.dli_fname, '/'), "jansson at '%s'", info.dli_fname);
    tpool__policy_handle h;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__policy_load_path(info.dli_fname, &h, &err), TPOOL_ELOAD);
    ck_assert_has(err.text, info.dli_fname);
    ck_assert_has(err.text, "not a tpool policy");
    ck_assert_has(err.text, "symbol tpool_policy_entry not found");
    ck_assert_has(err.text, "dlerror: ");
    ck_assert_has(err.text, "undefined symbol: tpool_policy_entry");
    /* jansson is still in use by this process: the refusal closed only its
     * own reference. */
    json_t *o = json_object();
    ck_assert_ptr_nonnull(o);
    json_decref(o);
}
END_TEST

/* ---- broken policies -------------------------------------------------------------- */

static const struct {
    const char *module;
    int code;
    const char *words[3];
} broken_cases[] = {
    { "mod_noentry", TPOOL_ELOAD,
      { "not a tpool policy", "tpool_policy_entry", "undefined symbol" } },
    { "mod_badabi", TPOOL_EABI, { "built for policy ABI 99.0", "rebuild", NULL } },
    { "mod_newminor", TPOOL_EABI, { "newer than the ABI", "at least as new", NULL } },
    { "mod_small", TPOOL_EABI, { "descriptor is 16 bytes", "mandatory", NULL } },
    { "mod_nullop", TPOOL_EPOLICY, { "mandatory op 'pop' is NULL", "(mod_nullop)", NULL } },
    { "mod_nullname", TPOOL_EPOLICY, { "has no name", NULL, NULL } },
    /* Refused before the call: calling a data object would jump into data. */
    { "mod_entry_data", TPOOL_ELOAD,
      { "symbol tpool_policy_entry is a data object (STT_OBJECT)", "TPOOL_POLICY_DEFINE",
        NULL } },
    /* A number where a pointer belongs: refused before it is read. */
    { "mod_entry_int", TPOOL_EPOLICY,
      { "tpool_policy_entry() returned 0x2a", "not a descriptor in the policy's .so",
        "wrong signature" } },
    /* A count of 10^8 for a table of one: refused before the table is read. */
    { "mod_hugeparams", TPOOL_EPOLICY,
      { "nparams is 100000000", "more than the 256 parameters",
        "TPOOL_POLICY_MAX_PARAMS" } },
};

START_TEST(test_broken)
{
    const char *p = mod(broken_cases[_i].module);
    tpool__policy_handle h;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__policy_load_path(p, &h, &err), broken_cases[_i].code);
    ck_assert_int_eq(err.code, broken_cases[_i].code);
    ck_assert_has(err.text, p);
    for (int k = 0; k < 3 && broken_cases[_i].words[k]; k++)
        ck_assert_has(err.text, broken_cases[_i].words[k]);
    ck_assert_str_eq(err.source, p);
    ck_assert_str_eq(err.key, "policy");
    ck_assert_ptr_null(h.dl);
    ck_assert_ptr_null(h.path);
    ck_assert_msg(unloaded(p), "%s stays loaded after its refusal", p);
}
END_TEST

/*
 * An entry point that returns the descriptor by value writes it through
 * whatever the return register holds: it crashes (or corrupts and hangs) the
 * process that calls it, so nothing can refuse it beforehand. The isolated
 * load calls it in a child and reports the file and what became of the
 * child; this process is left alone and the module is never loaded here.
 */
START_TEST(test_isolated_crash)
{
    const char *p = mod("mod_entry_struct");
    tpool__policy_handle h;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__policy_load_path_isolated(p, &h, NULL, NULL, NULL, &err),
                     TPOOL_ELOAD);
    ck_assert_has(err.text, p);
    ck_assert_msg(strstr(err.text, "loading it crashed the process doing it (signal ")
                      || strstr(err.text, "loading it did not finish within"),
                  "%s", err.text);
    ck_assert_str_eq(err.source, p);
    ck_assert_str_eq(err.key, "policy");
    ck_assert_ptr_null(h.dl);
    ck_assert_msg(unloaded(p), "%s was loaded in this process", p);
}
END_TEST

/* A probe that fails or crashes in the child is reported the same way; one
 * that passes leaves the policy loaded here. */
static int probe_refuse(const tpool__policy_handle *h, const void *arg, tpool_error *err)
{
    return tpool__error(err, TPOOL_EPOLICY, NULL, 0, 0, NULL, "probe says no to %s (%s)",
                        h->ops.name, (const char *)arg);
}

static int probe_crash(const tpool__policy_handle *h, const void *arg, tpool_error *err)
{
    (void)h;
    (void)arg;
    (void)err;
    raise(SIGSEGV);
    return 0;
}

static int probe_count(const tpool__policy_handle *h, const void *arg, tpool_error *err)
{
    (void)h;
    (void)err;
    /* In a child this write is lost: the parent's count stays. */
    ++*(int *)(uintptr_t)arg;
    return 0;
}

START_TEST(test_isolated_probe)
{
    const char *p = mod("mod_ok");
    tpool__policy_handle h;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__policy_load_path_isolated(p, &h, probe_refuse, "x", "probing",
                                                      &err), TPOOL_EPOLICY);
    ck_assert_str_eq(err.text, "probe says no to mod_ok (x)");
    ck_assert_ptr_null(h.dl);

    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__policy_load_path_isolated(p, &h, probe_crash, NULL,
                                                      "creating a state", &err),
                     TPOOL_ELOAD);
    ck_assert_has(err.text, p);
    ck_assert_has(err.text, "creating a state crashed the process doing it (signal 11");
    ck_assert_ptr_null(h.dl);

    int count = 0;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__policy_load_path_isolated(p, &h, probe_count, &count, "counting",
                                                      &err), 0);
    ck_assert_int_eq(count, 0); /* it ran in the child */
    ck_assert_ptr_nonnull(h.dl);
    ck_assert_str_eq(h.ops.name, "mod_ok");
    tpool__policy_unload(&h);
}
END_TEST

START_TEST(test_abi_and_size_numbers)
{
    tpool__policy_handle h;
    tpool_error err;
    char want[128];

    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__policy_load_path(mod("mod_badabi"), &h, &err), TPOOL_EABI);
    snprintf(want, sizeof want, "ABI %d.%d", TPOOL_POLICY_ABI_MAJOR, TPOOL_POLICY_ABI_MINOR);
    ck_assert_has(err.text, "99.0");
    ck_assert_has(err.text, want);

    /* A newer minor: both versions named. */
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__policy_load_path(mod("mod_newminor"), &h, &err), TPOOL_EABI);
    snprintf(want, sizeof want, "built for policy ABI %d.%d, newer than the ABI %d.%d",
             TPOOL_POLICY_ABI_MAJOR, TPOOL_POLICY_ABI_MINOR + 1, TPOOL_POLICY_ABI_MAJOR,
             TPOOL_POLICY_ABI_MINOR);
    ck_assert_has(err.text, want);

    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__policy_load_path(mod("mod_small"), &h, &err), TPOOL_EABI);
    snprintf(want, sizeof want, "the %zu bytes", offsetof(tpool_policy, range_begin));
    ck_assert_has(err.text, "16 bytes");
    ck_assert_has(err.text, want);
}
END_TEST

/* Keep in step with `cases` in tests/modules/mod_badparams.c. */
static const struct {
    const char *words[2];
} badparams_cases[] = {
    { { "nparams is 1 but params is NULL", NULL } },
    { { "parameter 0 has no name", NULL } },
    { { "parameter 'x' is declared twice", "entries 0 and 1" } },
    { { "parameter 'x' has unknown type 77", NULL } },
    { { "default 11 is not within [1, 10]", NULL } },
    { { "bool default 2 is not 0 or 1", NULL } },
    { { "default 1.5 is not within [0, 1]", NULL } },
    { { "default nan is not within [0, 1]", NULL } },
    { { "enum parameter 'x' has no choices", NULL } },
    { { "enum parameter 'x' has no choices", NULL } },
    { { "default index 2 is not within its 2 choices", NULL } },
    { { "stat_names has more than 8 entries", NULL } },
    { { "parameter 'x': min 10 is greater than max 1", NULL } },
    { { "parameter 'x': min 1 is greater than max 0", NULL } },
    { { "stat_names lists 1 counter(s) but stats_read is NULL", NULL } },
};

START_TEST(test_bad_params)
{
    char v[16];
    snprintf(v, sizeof v, "%d", _i);
    setenv("MOD_BADPARAMS", v, 1);
    const char *p = mod("mod_badparams");
    tpool__policy_handle h;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__policy_load_path(p, &h, &err), TPOOL_EPOLICY);
    ck_assert_has(err.text, p);
    for (int k = 0; k < 2 && badparams_cases[_i].words[k]; k++)
        ck_assert_has(err.text, badparams_cases[_i].words[k]);
    ck_assert_ptr_null(h.dl);
    ck_assert_msg(unloaded(p), "%s stays loaded after its refusal", p);
}
END_TEST

/*
 * The copy of the descriptor: a member the .so's struct_size does not cover
 * entirely reads as NULL, whatever the .so has in memory beyond it.
 */
enum { RB = 1, RN = 2, RE = 4, RG = 8, RS = 16, SN = 32, SR = 64, SS = 128 };

static const struct {
    size_t size;
    unsigned present;
} prefix_cases[] = {
    { offsetof(tpool_policy, range_begin), 0 },
    { offsetof(tpool_policy, range_begin) + 4, 0 }, /* half a pointer: none */
    { offsetof(tpool_policy, range_next), RB },
    { offsetof(tpool_policy, resize) + sizeof(void *), RB | RN | RE | RG | RS },
    { sizeof(tpool_policy), RB | RN | RE | RG | RS | SN | SR | SS },
    /* A newer minor version with members this core does not know. */
    { sizeof(tpool_policy) + 64, RB | RN | RE | RG | RS | SN | SR | SS },
};

START_TEST(test_ops_copy)
{
    char v[32];
    snprintf(v, sizeof v, "%zu", prefix_cases[_i].size);
    setenv("MOD_PREFIX_SIZE", v, 1);
    tpool__policy_handle h;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__policy_load_path(mod("mod_prefix"), &h, &err), 0);
    unsigned want = prefix_cases[_i].present;
    ck_assert_uint_eq(h.ops.struct_size, prefix_cases[_i].size);
    ck_assert_ptr_nonnull(h.ops.pop);
    ck_assert_int_eq(h.ops.range_begin != NULL, !!(want & RB));
    ck_assert_int_eq(h.ops.range_next != NULL, !!(want & RN));
    ck_assert_int_eq(h.ops.range_end != NULL, !!(want & RE));
    ck_assert_int_eq(h.ops.range_grain != NULL, !!(want & RG));
    ck_assert_int_eq(h.ops.resize != NULL, !!(want & RS));
    ck_assert_int_eq(h.ops.stat_names != NULL, !!(want & SN));
    ck_assert_int_eq(h.ops.stats_read != NULL, !!(want & SR));
    ck_assert_int_eq(h.ops.stats_reset != NULL, !!(want & SS));
    ck_assert_uint_eq(h.nstats, (want & SN) ? 1 : 0);
    tpool__policy_unload(&h);
}
END_TEST

/* A descriptor that ends after stat_names names counters with no stats_read
 * to read them: refused, as a full one without stats_read is. */
START_TEST(test_ops_copy_names_without_read)
{
    char v[32];
    snprintf(v, sizeof v, "%zu", offsetof(tpool_policy, stat_names) + sizeof(void *));
    setenv("MOD_PREFIX_SIZE", v, 1);
    tpool__policy_handle h;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__policy_load_path(mod("mod_prefix"), &h, &err), TPOOL_EPOLICY);
    ck_assert_has(err.text, "stat_names lists 1 counter(s) but stats_read is NULL");
}
END_TEST

/* ---- names ------------------------------------------------------------------------------- */

START_TEST(test_not_found)
{
    char *A = tmpdir_new(), *B = tmpdir_new(), *E = tmpdir_new();
    /* Only the names matter for the "available" list. */
    write_file(A, "zeta.so", "", 0);
    write_file(A, "alpha.so", "", 0);
    write_file(A, "notes.txt", "", 0);
    write_file(A, "bad.name.so", "", 0);
    write_file(B, "alpha.so", "", 0);
    write_file(B, "mid.so", "", 0);
    setenv("TPOOL_POLICY_PATH", E, 1);

    test_cfg t;
    cfg_init(&t, "nosuch", A, B);
    tpool__policy_handle h;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__policy_load(&t.cfg, &h, &err), TPOOL_ENOENT);
    ck_assert_int_eq(err.code, TPOOL_ENOENT);
    ck_assert_str_eq(err.key, "policy");
    ck_assert_has(err.text, "policy 'nosuch' not found; searched: ");
    char want[4 * PATH_MAX];
    snprintf(want, sizeof want, "searched: %s, %s, %s, ", A, B, E);
    ck_assert_has(err.text, want);
    ck_assert_has(err.text, "; available: ");
    const char *av = strstr(err.text, "; available: ");
    const char *pa = strstr(av, "alpha"), *pm = strstr(av, "mid"), *pz = strstr(av, "zeta");
    ck_assert_msg(pa && pm && pz && pa < pm && pm < pz,
                  "available not sorted: %s", av);
    ck_assert_msg(strstr(pa + 1, "alpha") == NULL, "alpha listed twice: %s", av);
    ck_assert_msg(strstr(av, "bad.name") == NULL && strstr(av, "notes") == NULL,
                  "non-policy files listed: %s", av);
    ck_assert_has(err.text, "TPOOL_POLICY_PATH");
    cfg_done(&t);

    /* With no .so anywhere on the path the list says so. */
    unsetenv("TPOOL_POLICY_PATH");
    cfg_init(&t, "nosuch", E, NULL);
    char **dirs;
    size_t n;
    ck_assert_int_eq(tpool__search_path(&t.cfg, &dirs, &n, NULL), 0);
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        char cmd[PATH_MAX + 64];
        snprintf(cmd, sizeof cmd, "ls '%s'/*.so >/dev/null 2>&1", dirs[i]);
        any |= system(cmd) == 0;
    }
    tpool__search_path_free(dirs, n);
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__policy_load(&t.cfg, &h, &err), TPOOL_ENOENT);
    if (!any)
        ck_assert_has(err.text, "; available: none");
    cfg_done(&t);

    tmpdir_rm(A);
    tmpdir_rm(B);
    tmpdir_rm(E);
}
END_TEST

static const char *const bad_names[] = {
    "", "a b", "x.so", "..", ".", "fifo\n", "na\xc3\xafve", "$HOME", "a:b",
};

START_TEST(test_invalid_name)
{
    test_cfg t;
    cfg_init(&t, bad_names[_i], mods(), NULL);
    tpool__policy_handle h;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__policy_load(&t.cfg, &h, &err), TPOOL_EINVAL);
    ck_assert_has(err.text, "not a valid policy name");
    ck_assert_has(err.text, "letters, digits");
    ck_assert_str_eq(err.key, "policy");
    ck_assert_ptr_null(h.dl);
    cfg_done(&t);
}
END_TEST

/* A value with '/' is a path, relative to the current directory because it
 * says so: "../x" never reaches the search path. */
START_TEST(test_relative_path_is_path)
{
    test_cfg t;
    cfg_init(&t, "../tpool-no-such-policy", mods(), NULL);
    tpool__policy_handle h;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool__policy_load(&t.cfg, &h, &err), TPOOL_ENOENT);
    ck_assert_has(err.text, "policy '../tpool-no-such-policy': no such file");
    cfg_done(&t);
}
END_TEST

/* ---- loading from several threads ---------------------------------------------------- */

typedef struct {
    char ok[PATH_MAX];      /* copied before the threads start: mod() is */
    char noentry[PATH_MAX]; /* not thread-safe */
} loop_paths;

static void *load_loop(void *arg)
{
    const loop_paths *p = arg;
    for (int i = 0; i < 50; i++) {
        tpool__policy_handle h;
        tpool_error err;
        tpool_error_clear(&err);
        if (tpool__policy_load_path(p->ok, &h, &err) != 0)
            return (void *)1;
        if (strcmp(h.ops.name, "mod_ok") != 0)
            return (void *)2;
        tpool__policy_unload(&h);
        tpool_error_clear(&err);
        if (tpool__policy_load_path(p->noentry, &h, &err) != TPOOL_ELOAD
            || !strstr(err.text, "tpool_policy_entry"))
            return (void *)3;
    }
    return NULL;
}

START_TEST(test_concurrent_load)
{
    loop_paths p;
    snprintf(p.ok, sizeof p.ok, "%s", mod("mod_ok"));
    snprintf(p.noentry, sizeof p.noentry, "%s", mod("mod_noentry"));
    pthread_t th[8];
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, load_loop, &p), 0);
    for (int i = 0; i < 8; i++) {
        void *r;
        ck_assert_int_eq(pthread_join(th[i], &r), 0);
        ck_assert_msg(r == NULL, "thread %d failed at step %p", i, r);
    }
}
END_TEST

/* ---- tpool_policy_list ------------------------------------------------------------------ */

enum { MAX_ERRORS = 32 };

typedef struct {
    int n;
    char text[MAX_ERRORS][768];
    int codes[MAX_ERRORS];
} errors;

static void collect(void *ud, const tpool_error *e)
{
    errors *es = ud;
    if (es->n < MAX_ERRORS) {
        snprintf(es->text[es->n], sizeof es->text[0], "%s", e->text);
        es->codes[es->n] = e->code;
    }
    es->n++;
}

static const tpool_policy_info *find_info(const tpool_policy_info *l, size_t n,
                                          const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(l[i].name, name) == 0)
            return &l[i];
    return NULL;
}

static int find_error(const errors *es, const char *path, int code)
{
    for (int i = 0; i < es->n && i < MAX_ERRORS; i++)
        if (strstr(es->text[i], path) && es->codes[i] == code)
            return 1;
    return 0;
}

START_TEST(test_policy_list)
{
    setenv("TPOOL_POLICY_PATH", mods(), 1);
    tpool_policy_info *list;
    size_t n;
    errors es = { 0 };
    ck_assert_int_eq(tpool_policy_list(NULL, &list, &n, collect, &es), 0);

    static const struct { const char *m; int code; } bad[] = {
        { "mod_noentry", TPOOL_ELOAD }, { "mod_badabi", TPOOL_EABI },
        { "mod_small", TPOOL_EABI },    { "mod_nullop", TPOOL_EPOLICY },
        { "mod_nullname", TPOOL_EPOLICY }, { "mod_badparams", TPOOL_EPOLICY },
        { "mod_entry_data", TPOOL_ELOAD }, { "mod_entry_int", TPOOL_EPOLICY },
        { "mod_hugeparams", TPOOL_EPOLICY },
        /* It crashes whoever calls it: the listing survives and says so. */
        { "mod_entry_struct", TPOOL_ELOAD },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(find_error(&es, mod(bad[i].m), bad[i].code),
                      "%s not reported as broken (%d reports)", bad[i].m, es.n);
        ck_assert_ptr_null(find_info(list, n, bad[i].m));
    }
    ck_assert_int_ge(es.n, (int)(sizeof bad / sizeof bad[0]));

    ck_assert_ptr_nonnull(find_info(list, n, "mod_badcreate"));
    ck_assert_ptr_nonnull(find_info(list, n, "mod_prefix"));
    const tpool_policy_info *ok = find_info(list, n, "mod_ok");
    ck_assert_ptr_nonnull(ok);
    ck_assert_str_eq(ok->path, mod("mod_ok"));
    ck_assert_str_eq(ok->description, "test module: one mutex-protected FIFO list");

    json_error_t je;
    json_t *pj = json_loads(ok->params_json, 0, &je);
    ck_assert_msg(pj != NULL, "params_json: %s: %s", je.text, ok->params_json);
    ck_assert(json_is_array(pj));
    ck_assert_uint_eq(json_array_size(pj), 2);
    json_t *depth = json_array_get(pj, 0), *mode = json_array_get(pj, 1);
    ck_assert_str_eq(json_string_value(json_object_get(depth, "name")), "depth");
    ck_assert_str_eq(json_string_value(json_object_get(depth, "type")), "int");
    ck_assert_str_eq(json_string_value(json_object_get(depth, "description")),
                     "how deep (test parameter)");
    ck_assert_int_eq(json_integer_value(json_object_get(depth, "default")), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(depth, "min")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(depth, "max")), 100);
    ck_assert_str_eq(json_string_value(json_object_get(mode, "name")), "mode");
    ck_assert_str_eq(json_string_value(json_object_get(mode, "type")), "enum");
    ck_assert_str_eq(json_string_value(json_object_get(mode, "default")), "a");
    json_t *ch = json_object_get(mode, "choices");
    ck_assert_uint_eq(json_array_size(ch), 2);
    ck_assert_str_eq(json_string_value(json_array_get(ch, 0)), "a");
    ck_assert_str_eq(json_string_value(json_array_get(ch, 1)), "b");
    ck_assert_ptr_null(json_object_get(mode, "min"));
    json_decref(pj);

    /* A policy without parameters has an empty array. */
    ck_assert_str_eq(find_info(list, n, "mod_badcreate")->params_json, "[]");
    tpool_policy_list_free(list, n);

    /* No callback: broken files are skipped silently. */
    ck_assert_int_eq(tpool_policy_list(NULL, &list, &n, NULL, NULL), 0);
    ck_assert_ptr_nonnull(find_info(list, n, "mod_ok"));
    tpool_policy_list_free(list, n);
}
END_TEST

/* The first file of a name wins, as for loading; a later one is not listed. */
START_TEST(test_policy_list_first_wins)
{
    char *A = tmpdir_new(), *B = tmpdir_new();
    copy_file(mod("mod_ok"), A, "pick.so", 0);
    copy_file(mod("mod_prefix"), B, "pick.so", 0);
    copy_file(mod("mod_prefix"), B, "other.so", 0);
    write_file(B, "broken.so", "x", 1);
    test_cfg t;
    cfg_init(&t, "pick", A, B);
    tpool_policy_info *list;
    size_t n;
    errors es = { 0 };
    ck_assert_int_eq(tpool_policy_list(&t.cfg, &list, &n, collect, &es), 0);
    const tpool_policy_info *pick = find_info(list, n, "pick");
    ck_assert_ptr_nonnull(pick);
    char want[PATH_MAX];
    snprintf(want, sizeof want, "%s/pick.so", A);
    ck_assert_str_eq(pick->path, want);
    ck_assert_ptr_nonnull(find_info(list, n, "other"));
    int picks = 0;
    for (size_t i = 0; i < n; i++)
        picks += strcmp(list[i].name, "pick") == 0;
    ck_assert_int_eq(picks, 1);
    snprintf(want, sizeof want, "%s/broken.so", B);
    ck_assert_msg(find_error(&es, want, TPOOL_ELOAD), "broken.so not reported");
    tpool_policy_list_free(list, n);
    cfg_done(&t);
    tmpdir_rm(A);
    tmpdir_rm(B);
}
END_TEST

/* ---- tpool_config_resolve ------------------------------------------------------------- */

/* Resolves a configuration in which "@" stands for the modules directory. */
static json_t *resolve_text(const char *tmpl, tpool_error *err, int *rc)
{
    char text[2 * PATH_MAX];
    size_t n = 0;
    for (const char *c = tmpl; *c; c++) {
        if (*c == '@')
            n += (size_t)snprintf(text + n, sizeof text - n, "%s", mods());
        else
            text[n++] = *c;
        ck_assert(n < sizeof text);
    }
    text[n] = '\0';
    tpool_config *cfg;
    tpool_error_clear(err);
    *rc = tpool_config_load_text(text, "t.json", &cfg, err);
    ck_assert_msg(*rc == 0, "%s", err->text);
    char *s = NULL;
    *rc = tpool_config_resolve(cfg, &s, err);
    tpool_config_free(cfg);
    if (*rc) {
        ck_assert_ptr_null(s);
        return NULL;
    }
    json_error_t je;
    json_t *o = json_loads(s, 0, &je);
    ck_assert_msg(o != NULL, "%s: %s", je.text, s);
    ck_assert_msg(strchr(s, '\n') != NULL, "not pretty-printed: %s", s);
    free(s);
    return o;
}

START_TEST(test_resolve)
{
    tpool_error err;
    int rc;
    json_t *o = resolve_text("{\"threads\": 3, \"policy\": \"mod_ok\", "
                             "\"policy_path\": [\"@\"], \"params\": {\"depth\": 7}}",
                             &err, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "threads")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "threads_configured")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "workers")), 2);
    ck_assert_str_eq(json_string_value(json_object_get(o, "policy")), "mod_ok");
    ck_assert_str_eq(json_string_value(json_object_get(o, "policy_file")), mod("mod_ok"));
    json_t *p = json_object_get(o, "params");
    ck_assert_uint_eq(json_object_size(p), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(p, "depth")), 7);
    ck_assert_str_eq(json_string_value(json_object_get(p, "mode")), "a");
    json_t *pp = json_object_get(o, "policy_path");
    ck_assert(json_is_array(pp) && json_array_size(pp) >= 2);
    ck_assert_str_eq(json_string_value(json_array_get(pp, 0)), mods());
    ck_assert(json_is_integer(json_object_get(o, "spin_us")));
    ck_assert(json_is_integer(json_object_get(o, "min_work_size")));
    json_decref(o);

    /* threads 0 is resolved; a single thread still gets one worker. */
    o = resolve_text("{\"threads\": 0, \"policy\": \"mod_ok\", \"policy_path\": \"@\","
                     " \"params\": {\"mode\": \"b\"}}", &err, &rc);
    ck_assert_int_eq(rc, 0);
    unsigned t = tpool_default_threads();
    ck_assert_int_eq(json_integer_value(json_object_get(o, "threads")), t);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "threads_configured")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "workers")), t > 1 ? t - 1 : 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(o, "params"), "mode")),
                     "b");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(o, "params"), "depth")),
                     4);
    json_decref(o);

    o = resolve_text("{\"threads\": 1, \"policy\": \"mod_picky\", \"policy_path\": \"@\"}",
                     &err, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "workers")), 1);
    ck_assert_uint_eq(json_object_size(json_object_get(o, "params")), 3);
    json_decref(o);
}
END_TEST

START_TEST(test_resolve_errors)
{
    tpool_error err;
    int rc;
    /* A parameter out of range: the message names it. */
    ck_assert_ptr_null(resolve_text("{\"policy\": \"mod_ok\", \"policy_path\": \"@\","
                                    " \"params\": {\"depth\": 1000}}", &err, &rc));
    ck_assert_int_eq(rc, TPOOL_EINVAL);
    ck_assert_int_eq(err.code, TPOOL_EINVAL);
    ck_assert_has(err.text, "params.depth");

    ck_assert_ptr_null(resolve_text("{\"policy\": \"mod_ok\", \"policy_path\": \"@\","
                                    " \"params\": {\"nope\": 1}}", &err, &rc));
    ck_assert_int_eq(rc, TPOOL_EINVAL);
    ck_assert_has(err.text, "nope");

    /* The policy cannot be found or loaded. */
    ck_assert_ptr_null(resolve_text("{\"policy\": \"nosuch\", \"policy_path\": \"@\"}",
                                    &err, &rc));
    ck_assert_int_eq(rc, TPOOL_ENOENT);
    ck_assert_has(err.text, "policy 'nosuch' not found");
    ck_assert_has(err.text, "mod_ok");

    ck_assert_ptr_null(resolve_text("{\"policy\": \"mod_badabi\", \"policy_path\": \"@\"}",
                                    &err, &rc));
    ck_assert_int_eq(rc, TPOOL_EABI);
    ck_assert_has(err.text, "99.0");

    /* Valid params that create refuses: resolving creates a state, as the
     * pool does, and passes the policy's refusal on with the pool's words. */
    ck_assert_ptr_null(resolve_text("{\"policy\": \"mod_picky\", \"policy_path\": \"@\","
                                    " \"params\": {\"lo\": 5, \"hi\": 3}}", &err, &rc));
    ck_assert_int_eq(rc, TPOOL_EPOLICY);
    ck_assert_str_eq(err.text, "t.json: params: policy 'mod_picky' refused to start: "
                               "lo (5) must not exceed hi (3)");
    ck_assert_ptr_null(resolve_text("{\"threads\": 1, \"policy\": \"mod_badcreate\", "
                                    "\"policy_path\": \"@\"}", &err, &rc));
    ck_assert_int_eq(rc, TPOOL_EPOLICY);
    ck_assert_has(err.text, "policy 'mod_badcreate' refused to start: chunk too large");
    /* An elastic pool grows to max: create must accept that many too. */
    ck_assert_ptr_null(resolve_text("{\"threads\": {\"min\": 1, \"max\": 6}, "
                                    "\"policy\": \"mod_picky\", \"policy_path\": \"@\","
                                    " \"params\": {\"max_threads\": 4}}", &err, &rc));
    ck_assert_int_eq(rc, TPOOL_EPOLICY);
    ck_assert_has(err.text, "refused to start: 6 threads, more than max_threads (4)");

    /* The same refusal from tpool_create: the check said what the pool says. */
    tpool *p = NULL;
    char text[PATH_MAX + 128];
    snprintf(text, sizeof text, "{\"policy\": \"%s\", \"params\": {\"lo\": 5, \"hi\": 3}}",
             mod("mod_picky"));
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_create_from_text(text, &p, &err), TPOOL_EPOLICY);
    ck_assert_has(err.text, "params: policy 'mod_picky' refused to start: "
                            "lo (5) must not exceed hi (3)");

    char *s = NULL;
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_config_resolve(NULL, &s, &err), TPOOL_EINVAL);
    ck_assert_has(err.text, "tpool_config_resolve");
}
END_TEST

/* ABI 1.1's `flags`: a policy that sets TPOOL_POLICY_NO_SUBMIT_TIME gets
 * tasks without a submission time; a descriptor sized for ABI 1.0 ends
 * before `flags`, so whatever lies there is ignored and every task is
 * stamped (statistic "stamped": pushed tasks with submit_ns != 0). */
static void noop_task(void *arg)
{
    (void)arg;
}

static uint64_t stamped_after(const char *module, int ntasks)
{
    char cfg[PATH_MAX + 64];
    snprintf(cfg, sizeof cfg, "{\"threads\": 2, \"policy\": \"%s\"}", mod(module));
    tpool *p = NULL;
    tpool_error err;
    tpool_error_clear(&err);
    ck_assert_msg(tpool_create_from_text(cfg, &p, &err) == 0, "%s: %s", module, err.text);
    for (int i = 0; i < ntasks; i++)
        ck_assert_int_eq(tpool_submit(p, noop_task, NULL, NULL), 0);
    ck_assert_int_eq(tpool_wait_all(p), 0);
    tpool_stats st;
    ck_assert_int_eq(tpool_stats_get(p, &st), 0);
    ck_assert_uint_eq(st.npolicy, 1);
    ck_assert_str_eq(st.policy_names[0], "stamped");
    uint64_t stamped = st.per_worker[0].policy[0];
    tpool_stats_free(&st);
    ck_assert_int_eq(tpool_destroy(p), 0);
    return stamped;
}

START_TEST(test_flags_submit_time)
{
    ck_assert_uint_eq(stamped_after("mod_nostamp", 100), 0);
    ck_assert_uint_eq(stamped_after("mod_stamp10", 100), 100);
}
END_TEST

/* ---- tpool-module.h: a policy opened outside any pool ----------------------- */

/* A configuration naming `policy` with `params` (NULL: none). */
static tpool_config *module_cfg(const char *policy, const char *params)
{
    tpool_config *cfg = NULL;
    ck_assert_int_eq(tpool_config_new(&cfg), 0);
    ck_assert_int_eq(tpool_config_set_policy(cfg, policy), 0);
    if (params)
        ck_assert_int_eq(tpool_config_set_params(cfg, params, NULL), 0);
    return cfg;
}

START_TEST(test_module_open)
{
    const char *p = mod("mod_picky");
    tpool_config *cfg = module_cfg(p, "{\"hi\": 20}");
    tpool_policy_module *m = NULL;
    tpool_error err;
    tpool_error_clear(&err);
    /* Both ways of loading give the same module. */
    ck_assert_int_eq(tpool_policy_open(cfg, (unsigned)_i, &m, &err), 0);
    ck_assert_int_eq(err.code, 0);
    const tpool_policy *ops = tpool_policy_module_ops(m);
    ck_assert_str_eq(ops->name, "mod_picky");
    ck_assert_ptr_nonnull(ops->pop);
    ck_assert_str_eq(tpool_policy_module_file(m), p);
    ck_assert_uint_eq(tpool_policy_module_nstats(m), 0);

    tpool_param_value v[3];
    ck_assert_uint_eq(ops->nparams, 3);
    ck_assert_int_eq(tpool_policy_module_params(m, cfg, v, &err), 0);
    ck_assert_int_eq(v[0].i, 1);  /* default */
    ck_assert_int_eq(v[1].i, 20); /* given */
    ck_assert_int_eq(v[2].i, 4096);
    tpool_policy_close(m);
    tpool_config_free(cfg);
}
END_TEST

START_TEST(test_module_errors)
{
    tpool_policy_module *m = (tpool_policy_module *)&m;
    tpool_error err;

    /* Bad arguments. */
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_policy_open(NULL, 0x80, &m, &err), TPOOL_EINVAL);
    ck_assert_has(err.text, "unknown flags");
    ck_assert_int_eq(tpool_policy_open(NULL, 0, NULL, NULL), TPOOL_EINVAL);
    tpool_policy_close(NULL);
    ck_assert_ptr_null(tpool_policy_module_ops(NULL));

    /* What pool creation refuses, with the loader's message. */
    tpool_config *cfg = module_cfg(mod("mod_newminor"), NULL);
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_policy_open(cfg, 0, &m, &err), TPOOL_EABI);
    ck_assert_ptr_null(m);
    ck_assert_has(err.text, "newer than the ABI");
    tpool_config_free(cfg);

    /* A module that crashes its loader: reported when isolated. */
    cfg = module_cfg(mod("mod_entry_struct"), NULL);
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_policy_open(cfg, TPOOL_MODULE_ISOLATED, &m, &err), TPOOL_ELOAD);
    ck_assert_has(err.text, "mod_entry_struct.so");
    tpool_config_free(cfg);

    /* Parameters: named, with the position in the JSON text. */
    cfg = module_cfg(mod("mod_picky"), "{\"hi\": 200}");
    ck_assert_int_eq(tpool_policy_open(cfg, 0, &m, NULL), 0);
    tpool_param_value v[3];
    tpool_error_clear(&err);
    ck_assert_int_eq(tpool_policy_module_params(m, cfg, v, &err), TPOOL_EINVAL);
    ck_assert_str_eq(err.key, "params.hi");
    ck_assert_int_eq(err.column, 8);
    ck_assert_int_eq(tpool_policy_module_params(m, cfg, NULL, NULL), TPOOL_EINVAL);
    tpool_policy_close(m);
    tpool_config_free(cfg);
}
END_TEST

static Suite *loader_suite(void)
{
    Suite *s = suite_create("loader");
    TCase *tc;

    tc = tcase_create("load");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_load_ok_by_path);
    tcase_add_test(tc, test_load_by_name_policy_path);
    tcase_add_test(tc, test_load_by_name_env);
    tcase_add_loop_test(tc, test_search_order, 0,
                        (int)(sizeof order_cases / sizeof order_cases[0]));
    tcase_add_test(tc, test_search_path_dedup);
    tcase_add_test(tc, test_current_directory);
    tcase_add_test(tc, test_concurrent_load);
    suite_add_tcase(s, tc);

    tc = tcase_create("long_path");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_search_path_long);
    suite_add_tcase(s, tc);

    tc = tcase_create("refuse");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_missing_file);
    tcase_add_test(tc, test_directory);
    tcase_add_test(tc, test_not_elf);
    tcase_add_test(tc, test_foreign_so);
    tcase_add_loop_test(tc, test_broken, 0,
                        (int)(sizeof broken_cases / sizeof broken_cases[0]));
    tcase_add_test(tc, test_isolated_crash);
    tcase_add_test(tc, test_isolated_probe);
    tcase_add_test(tc, test_abi_and_size_numbers);
    tcase_add_test(tc, test_flags_submit_time);
    tcase_add_loop_test(tc, test_bad_params, 0,
                        (int)(sizeof badparams_cases / sizeof badparams_cases[0]));
    tcase_add_test(tc, test_ops_copy_names_without_read);
    tcase_add_loop_test(tc, test_ops_copy, 0,
                        (int)(sizeof prefix_cases / sizeof prefix_cases[0]));
    suite_add_tcase(s, tc);

    tc = tcase_create("names");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_not_found);
    tcase_add_loop_test(tc, test_invalid_name, 0,
                        (int)(sizeof bad_names / sizeof bad_names[0]));
    tcase_add_test(tc, test_relative_path_is_path);
    suite_add_tcase(s, tc);

    tc = tcase_create("list");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_policy_list);
    tcase_add_test(tc, test_policy_list_first_wins);
    suite_add_tcase(s, tc);

    tc = tcase_create("resolve");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_resolve);
    tcase_add_test(tc, test_resolve_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("module");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_loop_test(tc, test_module_open, 0, (int)TPOOL_MODULE_ISOLATED + 1);
    tcase_add_test(tc, test_module_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(loader_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
