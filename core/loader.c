/*
 * loader.c - finding a policy .so, loading it and checking its descriptor.
 *
 * Everything that can be wrong with a policy file is caught here, once, so
 * that the pool can trust h->ops: the mandatory ops are non-NULL, the
 * parameter table is well-formed, and every member the .so did not declare
 * (struct_size) reads as zero.
 */
#define _GNU_SOURCE
#include "loader.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "elf_check.h"
#include "error.h"
#include "json_locate.h"
#include "params.h"
#include "strset.h"
#include "versioned.h"

#ifndef TPOOL_PKGLIBDIR
#define TPOOL_PKGLIBDIR "/usr/local/lib/tpool"
#endif

/*
 * Records an error about a policy; `source` is the file, when there is one.
 * Every message starts with "policy '<path or name>'", so source and the key
 * "policy" go into their fields for programs but are not repeated in the
 * text, which then reads
 * "policy '/x/y.so': not a tpool policy: ..." rather than
 * "/x/y.so: policy: policy '/x/y.so': ...".
 */
int tpool__policy_fail(tpool_error *err, int code, const char *source, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = tpool__verror_about(err, code, source ? source : "", "policy", fmt, ap);
    va_end(ap);
    return rc;
}

/* The short name, inside this file. */
#define fail tpool__policy_fail

/* dlerror() text, never NULL (dlerror may return NULL when a symbol's value
 * simply is NULL). dlerror state is thread-local in glibc. */
static const char *dl_text(void)
{
    const char *e = dlerror();
    return e ? e : "no error text";
}

/* ---- descriptor checks ---------------------------------------------------- */

#define COVERS(size, member) TPOOL__COVERS(tpool_policy, size, member)

/* The members a policy built against an older header may lack: every one
 * after the mandatory ops, in the order they were appended. */
static const tpool__member optional_ops[] = {
    TPOOL__MEMBER(tpool_policy, range_begin), TPOOL__MEMBER(tpool_policy, range_next),
    TPOOL__MEMBER(tpool_policy, range_end),   TPOOL__MEMBER(tpool_policy, range_grain),
    TPOOL__MEMBER(tpool_policy, resize),      TPOOL__MEMBER(tpool_policy, stat_names),
    TPOOL__MEMBER(tpool_policy, stats_read),  TPOOL__MEMBER(tpool_policy, stats_reset),
    TPOOL__MEMBER(tpool_policy, flags),       TPOOL__MEMBER(tpool_policy, range_progress),
};

/* Copies what the .so declared and zeroes the rest (versioned.h). */
static void copy_ops(tpool_policy *dst, const tpool_policy *src)
{
    tpool__copy_versioned(dst, sizeof *dst, src, src->struct_size, optional_ops,
                          sizeof optional_ops / sizeof optional_ops[0]);
}

/* `anchor`: as for check_params. */
static int check_descriptor(const char *path, const tpool_policy *d, const void *anchor,
                            unsigned *nstats, tpool_error *err)
{
    if (!d)
        return fail(err, TPOOL_EPOLICY, path,
                    "policy '%s': %s() returned NULL instead of a descriptor; "
                    "fix the policy", path, TPOOL_POLICY_ENTRY_NAME);
    /* The versions first, then as much as the descriptor says it has. */
    size_t head = offsetof(tpool_policy, name);
    if (anchor
        && (!tpool__elf_in_object(anchor, d, head)
            || !tpool__elf_in_object(anchor, d, d->struct_size < sizeof *d
                                                     ? d->struct_size : sizeof *d)))
        return fail(err, TPOOL_EPOLICY, path,
                    "policy '%s': %s() returned %p, which is not a descriptor in "
                    "the policy's .so: the entry point must be "
                    "'const tpool_policy *%s(void)' returning the address of a "
                    "static descriptor, as TPOOL_POLICY_DEFINE writes it (one "
                    "returning a number, or the struct by value, has the wrong "
                    "signature)", path, TPOOL_POLICY_ENTRY_NAME, (const void *)d,
                    TPOOL_POLICY_ENTRY_NAME);

    unsigned major = d->abi_version >> 16, minor = d->abi_version & 0xffffu;
    if (major != TPOOL_POLICY_ABI_MAJOR)
        return fail(err, TPOOL_EABI, path,
                    "policy '%s': built for policy ABI %u.%u, but this tpool "
                    "speaks ABI %d.%d; rebuild the policy against this "
                    "tpool-policy.h", path, major, minor,
                    TPOOL_POLICY_ABI_MAJOR, TPOOL_POLICY_ABI_MINOR);
    /* The structs the core hands a policy (tasks, range jobs, the env) only
     * grow with the minor: a policy built for a newer one could read
     * members this core does not have. */
    if (minor > TPOOL_POLICY_ABI_MINOR)
        return fail(err, TPOOL_EABI, path,
                    "policy '%s': built for policy ABI %u.%u, newer than the "
                    "ABI %d.%d this tpool speaks; use a tpool at least as new "
                    "as the policy's tpool-policy.h, or rebuild the policy "
                    "against this one", path, major, minor,
                    TPOOL_POLICY_ABI_MAJOR, TPOOL_POLICY_ABI_MINOR);

    size_t need = offsetof(tpool_policy, range_begin);
    if (d->struct_size < need)
        return fail(err, TPOOL_EABI, path,
                    "policy '%s': descriptor is %u bytes, smaller than the %zu "
                    "bytes of mandatory members (up to pop); set struct_size "
                    "to sizeof(tpool_policy) and rebuild",
                    path, d->struct_size, need);

    if (!d->name || !d->name[0])
        return fail(err, TPOOL_EPOLICY, path,
                    "policy '%s': descriptor has no name; set the 'name' member",
                    path);

    const char *missing = !d->create ? "create"
                        : !d->destroy ? "destroy"
                        : !d->push ? "push"
                        : !d->pop ? "pop" : NULL;
    if (missing)
        return fail(err, TPOOL_EPOLICY, path,
                    "policy '%s' (%s): mandatory op '%s' is NULL; implement it",
                    path, d->name, missing);

    int rc = tpool__params_check_table("policy", path, d->params, d->nparams,
                                       TPOOL_POLICY_MAX_PARAMS, "TPOOL_POLICY_MAX_PARAMS",
                                       0, anchor, err);
    if (rc)
        return rc;

    *nstats = 0;
    if (COVERS(d->struct_size, stat_names) && d->stat_names) {
        unsigned n = 0;
        while (n <= TPOOL_STAT_POLICY_MAX && d->stat_names[n])
            n++;
        if (n > TPOOL_STAT_POLICY_MAX)
            return fail(err, TPOOL_EPOLICY, path,
                        "policy '%s' (%s): stat_names has more than %d entries "
                        "(or lacks its NULL terminator); report at most %d "
                        "counters", path, d->name, TPOOL_STAT_POLICY_MAX,
                        TPOOL_STAT_POLICY_MAX);
        if (n && !(COVERS(d->struct_size, stats_read) && d->stats_read))
            return fail(err, TPOOL_EPOLICY, path,
                        "policy '%s' (%s): stat_names lists %u counter(s) but "
                        "stats_read is NULL; implement stats_read or drop the "
                        "names", path, d->name, n);
        *nstats = n;
    }
    return 0;
}

/* ---- creating a state -------------------------------------------------------- */

int tpool__policy_create_state(const tpool_policy *ops, unsigned threads,
                               const tpool_param_value *params, const char *source,
                               void **state, tpool_error *err)
{
    char errbuf[512] = "";
    tpool_policy_env env = tpool__policy_env(threads > 1 ? threads - 1 : 1, threads, params,
                                             errbuf, sizeof errbuf);
    *state = NULL;
    if (ops->create(&env, state) != 0 || !*state) {
        *state = NULL;
        return tpool__error(err, TPOOL_EPOLICY, source, 0, 0, "params",
                            "policy '%s' refused to start: %s", ops->name,
                            errbuf[0] ? errbuf : "create failed without a message");
    }
    return 0;
}

/* ---- loading --------------------------------------------------------------- */

/*
 * Serialises dlopen, the entry call and dlclose. glibc's dlopen and dlclose
 * are thread-safe by themselves, but ThreadSanitizer cannot see ld.so's
 * internal lock and reports its bookkeeping as races in every program that
 * creates pools from several threads; and a policy's entry point may then
 * set up its descriptor lazily without a lock of its own. Loading is rare,
 * so the lock costs nothing that matters.
 */
static pthread_mutex_t dl_lock = PTHREAD_MUTEX_INITIALIZER;

/* dlopen `file`, find and call the entry point, check the descriptor and
 * fill *out (taking `file`). On any refusal the .so is closed again. Called
 * with dl_lock held. */
static int open_checked(const char *path, char *file, tpool__policy_handle *out,
                        tpool_error *err)
{
    char why[256];
    if (tpool__elf_check(file, why, sizeof why) != 0)
        return fail(err, TPOOL_ELOAD, path,
                    "policy '%s': cannot load it: %s (a partial copy or an "
                    "interrupted install?)", path, why);
    void *dl = dlopen(file, RTLD_NOW | RTLD_LOCAL);
    if (!dl)
        return fail(err, TPOOL_ELOAD, path,
                    "policy '%s': cannot load it (dlerror: %s); is it a "
                    "policy built for this machine with its dependencies "
                    "installed?", path, dl_text());

    dlerror(); /* clear, so a NULL from dlsym can be told apart */
    void *sym = dlsym(dl, TPOOL_POLICY_ENTRY_NAME);
    if (!sym) {
        int rc = fail(err, TPOOL_ELOAD, path,
                      "policy '%s': not a tpool policy: symbol %s not found "
                      "(dlerror: %s); a policy defines it with "
                      "TPOOL_POLICY_DEFINE", path, TPOOL_POLICY_ENTRY_NAME,
                      dl_text());
        dlclose(dl);
        return rc;
    }

    if (tpool__elf_symbol_is_code(sym, why, sizeof why) != 0) {
        int rc = fail(err, TPOOL_ELOAD, path,
                      "policy '%s': not a tpool policy: symbol %s is %s, not a "
                      "function; define it with TPOOL_POLICY_DEFINE(descriptor), "
                      "which exports 'const tpool_policy *%s(void)'", path,
                      TPOOL_POLICY_ENTRY_NAME, why, TPOOL_POLICY_ENTRY_NAME);
        dlclose(dl);
        return rc;
    }

    /* Converting void * to a function pointer is what POSIX dlsym requires;
     * going through memcpy keeps -Wpedantic quiet. */
    tpool_policy_entry_fn entry;
    memcpy(&entry, &sym, sizeof entry);
    const tpool_policy *d = entry();

    unsigned nstats = 0;
    int rc = check_descriptor(path, d, sym, &nstats, err);
    if (rc) {
        dlclose(dl);
        return rc;
    }
    out->dl = dl;
    out->path = file;
    copy_ops(&out->ops, d);
    out->nstats = nstats;
    return 0;
}

int tpool__policy_load_path(const char *path, tpool__policy_handle *out,
                            tpool_error *err)
{
    memset(out, 0, sizeof *out);
    if (!path || !path[0])
        return fail(err, TPOOL_EINVAL, "", "policy '': empty path; name a .so file");

    /* dlopen searches LD_LIBRARY_PATH and the system directories for a name
     * without '/'; a path given here always means a file, so anchor it. */
    char *file;
    if (strchr(path, '/')) {
        file = tpool__strdup(path);
    } else {
        file = tpool__malloc(strlen(path) + 3);
        if (file)
            sprintf(file, "./%s", path);
    }
    if (!file)
        return fail(err, TPOOL_ENOMEM, path, "policy '%s': out of memory", path);

    /* Check the file ourselves first: dlopen's message for a missing file or
     * a directory is vague, and dlopen on a FIFO would block. */
    struct stat st;
    if (stat(file, &st) != 0) {
        int e = errno;
        int rc = e == ENOENT || e == ENOTDIR
            ? fail(err, TPOOL_ENOENT, path,
                   "policy '%s': no such file; check the path in the "
                   "configuration's \"policy\"", path)
            : fail(err, TPOOL_ELOAD, path, "policy '%s': cannot access it: %s",
                   path, strerror(e));
        tpool__free(file);
        return rc;
    }
    if (S_ISDIR(st.st_mode)) {
        tpool__free(file);
        return fail(err, TPOOL_ELOAD, path,
                    "policy '%s': is a directory, not a shared object; name the "
                    ".so file, or list the directory in policy_path and give "
                    "the policy by name", path);
    }
    if (!S_ISREG(st.st_mode)) {
        tpool__free(file);
        return fail(err, TPOOL_ELOAD, path,
                    "policy '%s': not a regular file; name a .so file", path);
    }

    pthread_mutex_lock(&dl_lock);
    int rc = open_checked(path, file, out, err);
    pthread_mutex_unlock(&dl_lock);
    if (rc)
        tpool__free(file);
    return rc;
}

/* "builtin:fifo, builtin:roundrobin, ..." into b, or the reason there are none. */
static void list_builtin(char *b, size_t size)
{
    size_t n = tpool__builtin_count(), len = 0;
    b[0] = '\0';
    if (n == 0) {
        snprintf(b, size, "none (this libtpool was configured with "
                          "--disable-builtin-policies)");
        return;
    }
    for (size_t i = 0; i < n && len < size; i++) {
        int w = snprintf(b + len, size - len, "%s" TPOOL__BUILTIN_PREFIX "%s",
                         i ? ", " : "", tpool__builtin_at(i)->name);
        if (w < 0)
            break;
        len += (size_t)w;
    }
}

int tpool__policy_load_builtin(const char *spec, tpool__policy_handle *out,
                               tpool_error *err)
{
    memset(out, 0, sizeof *out);
    size_t plen = strlen(TPOOL__BUILTIN_PREFIX);
    const tpool__builtin_policy *b =
        strncmp(spec, TPOOL__BUILTIN_PREFIX, plen) == 0 ? tpool__builtin_find(spec + plen)
                                                         : NULL;
    if (!b) {
        char avail[256];
        list_builtin(avail, sizeof avail);
        return fail(err, TPOOL_ENOENT, NULL,
                    "policy '%s': no such built-in policy; built in: %s", spec, avail);
    }
    unsigned nstats = 0;
    int rc = check_descriptor(spec, b->entry(), NULL, &nstats, err);
    if (rc)
        return rc;
    out->path = tpool__strdup(spec);
    if (!out->path)
        return fail(err, TPOOL_ENOMEM, NULL, "policy '%s': out of memory", spec);
    copy_ops(&out->ops, b->entry());
    out->nstats = nstats;
    return 0;
}

void tpool__policy_unload(tpool__policy_handle *h)
{
    if (!h)
        return;
    if (h->dl) {
        pthread_mutex_lock(&dl_lock);
        dlclose(h->dl);
        pthread_mutex_unlock(&dl_lock);
    }
    tpool__free(h->path);
    memset(h, 0, sizeof *h);
}

void tpool__loader_fork_prepare(void)
{
    pthread_mutex_lock(&dl_lock);
}

void tpool__loader_fork_parent(void)
{
    pthread_mutex_unlock(&dl_lock);
}

/* The child has one thread, the one that forked (and took the lock in
 * prepare): start from a fresh, unlocked mutex. */
void tpool__loader_fork_child(void)
{
    pthread_mutex_init(&dl_lock, NULL);
}

/* ---- the search path ---------------------------------------------------------- */

void tpool__search_path_free(char **dirs, size_t ndirs)
{
    if (!dirs)
        return;
    for (size_t i = 0; i < ndirs; i++)
        tpool__free(dirs[i]);
    tpool__free(dirs);
}

/* Appends a copy of dir[0..len) unless it is empty or already listed
 * (`seen` holds the directories listed): searching a directory twice finds
 * nothing new. The set keeps a search path of any length linear to build. */
static int push_dir(char ***dirs, size_t *n, size_t *cap, tpool__strset *seen,
                    const char *dir, size_t len)
{
    if (len == 0 || tpool__strset_has(seen, dir, len))
        return 0;
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        char **d = tpool__realloc(*dirs, ncap * sizeof *d);
        if (!d)
            return TPOOL_ENOMEM;
        *dirs = d;
        *cap = ncap;
    }
    char *s = tpool__strndup(dir, len);
    if (!s)
        return TPOOL_ENOMEM;
    if (tpool__strset_add(seen, s) < 0) {
        tpool__free(s);
        return TPOOL_ENOMEM;
    }
    (*dirs)[(*n)++] = s;
    return 0;
}

int tpool__search_path(const tpool_config *cfg, char ***dirs_out, size_t *n_out,
                       tpool_error *err)
{
    char **dirs = NULL;
    size_t n = 0, cap = 0;
    tpool__strset seen = { 0 };
    int rc = 0;

    if (cfg)
        for (size_t i = 0; rc == 0 && i < cfg->npolicy_path; i++)
            if (cfg->policy_path[i])
                rc = push_dir(&dirs, &n, &cap, &seen, cfg->policy_path[i],
                              strlen(cfg->policy_path[i]));

    const char *env = getenv("TPOOL_POLICY_PATH");
    while (rc == 0 && env && *env) {
        size_t len = strcspn(env, ":");
        rc = push_dir(&dirs, &n, &cap, &seen, env, len);
        env += len;
        if (*env == ':')
            env++;
    }

    if (rc == 0)
        rc = push_dir(&dirs, &n, &cap, &seen, TPOOL_PKGLIBDIR, strlen(TPOOL_PKGLIBDIR));
    tpool__strset_free(&seen);

    if (rc) {
        tpool__search_path_free(dirs, n);
        *dirs_out = NULL;
        *n_out = 0;
        return tpool__error(err, rc, NULL, 0, 0, "policy_path",
                            "out of memory building the policy search path");
    }
    *dirs_out = dirs;
    *n_out = n;
    return 0;
}

/* ---- loading by name --------------------------------------------------------- */

/* Policy names are file stems; no path characters, so a name can never
 * climb out of the search directories. */
static bool valid_name(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A growable string for messages; on allocation failure it stays as it was
 * (messages are best effort). */
typedef struct {
    char *s;
    size_t len, cap;
} strbuf;

static void sb_add(strbuf *b, const char *s)
{
    size_t l = strlen(s);
    if (b->len + l + 1 > b->cap) {
        size_t ncap = (b->len + l + 1) * 2;
        char *p = tpool__realloc(b->s, ncap);
        if (!p)
            return;
        b->s = p;
        b->cap = ncap;
    }
    memcpy(b->s + b->len, s, l + 1);
    b->len += l;
}

/* Appends "a, b, c" (the *.so stems found in dirs, sorted, unique), or
 * "none", then " (did you mean 'fifo'?)" when one is close to `wanted`. */
static void list_available(strbuf *b, char **dirs, size_t ndirs, const char *wanted)
{
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < ndirs; i++) {
        DIR *d = opendir(dirs[i]);
        if (!d)
            continue;
        struct dirent *e;
        while ((e = readdir(d))) {
            size_t l = strlen(e->d_name);
            if (l <= 3 || strcmp(e->d_name + l - 3, ".so") != 0)
                continue;
            char *stem = tpool__strndup(e->d_name, l - 3);
            if (!stem)
                continue;
            if (!valid_name(stem)) {
                tpool__free(stem);
                continue;
            }
            if (n == cap) {
                size_t ncap = cap ? cap * 2 : 16;
                char **p = tpool__realloc(names, ncap * sizeof *p);
                if (!p) {
                    tpool__free(stem);
                    continue;
                }
                names = p;
                cap = ncap;
            }
            names[n++] = stem;
        }
        closedir(d);
    }
    if (n)
        qsort(names, n, sizeof *names, cmp_str);
    size_t shown = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
            continue;
        sb_add(b, shown++ ? ", " : "");
        sb_add(b, names[i]);
    }
    if (!shown)
        sb_add(b, "none");
    const char *near = tpool__json_suggest(wanted, (const char *const *)names, n);
    if (near) {
        sb_add(b, " (did you mean '");
        sb_add(b, near);
        sb_add(b, "'?)");
    }
    for (size_t i = 0; i < n; i++)
        tpool__free(names[i]);
    tpool__free(names);
}

void tpool__policy_names(const tpool_config *cfg, const char *wanted, char *buf, size_t size)
{
    snprintf(buf, size, "?");
    char **dirs;
    size_t ndirs;
    if (tpool__search_path(cfg, &dirs, &ndirs, NULL) != 0)
        return;
    strbuf names = { 0 };
    list_available(&names, dirs, ndirs, wanted ? wanted : "");
    tpool__search_path_free(dirs, ndirs);
    char builtin[256];
    list_builtin(builtin, sizeof builtin);
    snprintf(buf, size, "%s; built in: %s", names.s ? names.s : "?", builtin);
    tpool__free(names.s);
}

static int run_probe(const tpool__policy_handle *h, tpool__policy_isolation *iso,
                     tpool_error *err)
{
    int rc = iso->probe ? iso->probe(h, iso->arg, err) : 0;
    iso->probe_error = rc != 0;
    return rc;
}

/* Loads the file at `path`, in this process or (iso != NULL) after iso's
 * check has loaded and probed it elsewhere. */
static int load_file(const char *path, tpool__policy_handle *out,
                     tpool__policy_isolation *iso, tpool_error *err)
{
    if (!iso)
        return tpool__policy_load_path(path, out, err);
    int rc = iso->check(path, iso->probe, iso->arg, iso->what, &iso->probe_error, err);
    if (rc != 0 && rc != TPOOL__NO_CHILD) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    bool probed = rc == 0;
    rc = tpool__policy_load_path(path, out, err);
    if (rc == 0 && !probed && (rc = run_probe(out, iso, err)) != 0)
        tpool__policy_unload(out);
    return rc;
}

int tpool__policy_load_path_with(const char *path, tpool__policy_handle *out,
                                 tpool__policy_isolation *iso, tpool_error *err)
{
    memset(out, 0, sizeof *out);
    return load_file(path, out, iso, err);
}

static int load_configured(const tpool_config *cfg, tpool__policy_handle *out,
                           tpool__policy_isolation *iso, tpool_error *err);

static int load_at(const tpool_config *cfg, tpool__policy_handle *out,
                   tpool__policy_isolation *iso, tpool_error *err)
{
    if (!cfg || !cfg->policy_line || !err || err->code)
        return load_configured(cfg, out, iso, err);
    /* The policy named in a configuration file: say where, as for its other
     * values ("tpool.json:3:13: policy: '/x/p.so': cannot load it ..."). A
     * probe's error says its own where. */
    tpool_error le;
    tpool_error_clear(&le);
    int rc = load_configured(cfg, out, iso, &le);
    if (rc && iso && iso->probe_error)
        *err = le;
    else if (rc)
        tpool__error(err, rc, cfg->source, cfg->policy_line, cfg->policy_column, "policy",
                     "%s", le.text);
    return rc;
}

int tpool__policy_load(const tpool_config *cfg, tpool__policy_handle *out,
                       tpool_error *err)
{
    return load_at(cfg, out, NULL, err);
}

int tpool__policy_load_with(const tpool_config *cfg, tpool__policy_handle *out,
                            tpool__policy_isolation *iso, tpool_error *err)
{
    return load_at(cfg, out, iso, err);
}

static int load_configured(const tpool_config *cfg, tpool__policy_handle *out,
                           tpool__policy_isolation *iso, tpool_error *err)
{
    memset(out, 0, sizeof *out);
    const char *policy = cfg && cfg->policy ? cfg->policy : TPOOL_DEFAULT_POLICY;

    if (strncmp(policy, TPOOL__BUILTIN_PREFIX, strlen(TPOOL__BUILTIN_PREFIX)) == 0) {
        /* Linked into the library: nothing a child could catch. */
        int rc = tpool__policy_load_builtin(policy, out, err);
        if (rc == 0 && iso && (rc = run_probe(out, iso, err)) != 0)
            tpool__policy_unload(out);
        return rc;
    }
    if (strchr(policy, '/'))
        return load_file(policy, out, iso, err);

    if (!valid_name(policy))
        return fail(err, TPOOL_EINVAL, NULL,
                    "policy '%s': not a valid policy name; use letters, digits, "
                    "'_' and '-' only (the file NAME.so is searched on the "
                    "policy path), give a path containing '/', or "
                    "\"" TPOOL__BUILTIN_PREFIX "NAME\" for a policy linked into "
                    "libtpool", policy);

    char **dirs;
    size_t ndirs;
    int rc = tpool__search_path(cfg, &dirs, &ndirs, err);
    if (rc)
        return rc;

    for (size_t i = 0; i < ndirs; i++) {
        size_t len = strlen(dirs[i]) + 1 + strlen(policy) + sizeof ".so";
        char *file = tpool__malloc(len);
        if (!file) {
            tpool__search_path_free(dirs, ndirs);
            return fail(err, TPOOL_ENOMEM, NULL, "policy '%s': out of memory", policy);
        }
        snprintf(file, len, "%s/%s.so", dirs[i], policy);
        struct stat st;
        if (stat(file, &st) == 0) {
            /* The first file found is the policy, broken or not: skipping a
             * broken one would silently run a different policy. */
            rc = load_file(file, out, iso, err);
            tpool__free(file);
            tpool__search_path_free(dirs, ndirs);
            return rc;
        }
        tpool__free(file);
    }

    strbuf msg = {0};
    for (size_t i = 0; i < ndirs; i++) {
        sb_add(&msg, i ? ", " : "");
        sb_add(&msg, dirs[i]);
    }
    sb_add(&msg, "; available: ");
    list_available(&msg, dirs, ndirs, policy);
    char builtin[256] = "";
    if (tpool__builtin_count()) {
        memcpy(builtin, "; built in: ", sizeof "; built in: ");
        list_builtin(builtin + strlen(builtin), sizeof builtin - strlen(builtin));
    }
    rc = fail(err, TPOOL_ENOENT, NULL,
              "policy '%s' not found; searched: %s; install %s.so in one of "
              "these directories or add its directory to policy_path or "
              "TPOOL_POLICY_PATH%s", policy, msg.s ? msg.s : "?", policy, builtin);
    tpool__free(msg.s);
    tpool__search_path_free(dirs, ndirs);
    return rc;
}
