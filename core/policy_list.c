/*
 * policy_list.c - every policy on the search path, loaded, checked and
 * described (tpool_policy_list, used by `tpool-info --policies`).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "alloc.h"
#include "error.h"
#include "loader.h"
#include "params.h"
#include "strset.h"

int tpool_policy_search_path(const tpool_config *cfg, char ***dirs, size_t *count,
                             tpool_error *err)
{
    if (!dirs || !count)
        return tpool__error(err, TPOOL_EINVAL, NULL, 0, 0, NULL,
                            "tpool_policy_search_path: NULL output argument");
    return tpool__search_path(cfg, dirs, count, err);
}

void tpool_policy_search_path_free(char **dirs, size_t count)
{
    tpool__search_path_free(dirs, count);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The "*.so" file names in dir, sorted so the listing does not depend on
 * readdir order. A missing directory is no error: the search path names
 * places where policies may be, not where they must be. */
static int scan_dir(const char *dir, char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l <= 3 || strcmp(e->d_name + l - 3, ".so") != 0)
            continue;
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **p = tpool__realloc(*names, ncap * sizeof *p);
            if (!p)
                goto nomem;
            *names = p;
            cap = ncap;
        }
        if (!((*names)[*n] = tpool__strdup(e->d_name)))
            goto nomem;
        (*n)++;
    }
    closedir(d);
    if (*n)
        qsort(*names, *n, sizeof **names, cmp_str);
    return 0;
nomem:
    closedir(d);
    tpool__search_path_free(*names, *n);
    *names = NULL;
    *n = 0;
    return TPOOL_ENOMEM;
}

void tpool_policy_list_free(tpool_policy_info *list, size_t count)
{
    if (!list)
        return;
    for (size_t i = 0; i < count; i++)
        tpool__free(list[i].params_json);
    tpool__free(list);
}

/* Appends the description of a loaded policy to *list. */
static int add_info(tpool_policy_info **list, size_t *n, size_t *cap, const char *name,
                    const char *path, const tpool_policy *ops)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        tpool_policy_info *p = tpool__realloc(*list, ncap * sizeof *p);
        if (!p)
            return TPOOL_ENOMEM;
        *list = p;
        *cap = ncap;
    }
    tpool_policy_info *info = &(*list)[*n];
    memset(info, 0, sizeof *info);
    snprintf(info->name, sizeof info->name, "%s", name);
    snprintf(info->path, sizeof info->path, "%s", path);
    snprintf(info->description, sizeof info->description, "%s",
             ops->description ? ops->description : "");
    json_t *pj = tpool__params_table_json(ops->params, ops->params ? ops->nparams : 0);
    info->params_json = pj ? tpool__json_dumps(pj, JSON_COMPACT) : NULL;
    json_decref(pj);
    if (!info->params_json)
        return TPOOL_ENOMEM;
    info->progress = (ops->flags & TPOOL_POLICY_PROGRESS) != 0;
    (*n)++;
    return 0;
}

int tpool_policy_list(const tpool_config *cfg, tpool_policy_info **out,
                      size_t *count,
                      void (*on_error)(void *ud, const tpool_error *e), void *ud)
{
    if (!out || !count)
        return TPOOL_EINVAL;
    *out = NULL;
    *count = 0;

    char **dirs;
    size_t ndirs;
    int rc = tpool__search_path(cfg, &dirs, &ndirs, NULL);
    if (rc)
        return rc;

    tpool_policy_info *list = NULL;
    size_t n = 0, cap = 0;
    /* Names taken so far, broken files included: tpool__policy_load stops at
     * the first file of a name, so a later one of the same name is never
     * used and is not listed. */
    char **stems = NULL;
    size_t nstems = 0, stems_cap = 0;
    tpool__strset seen = { 0 }; /* the stems, for a lookup in constant time */

    for (size_t i = 0; rc == 0 && i < ndirs; i++) {
        char **files;
        size_t nfiles;
        rc = scan_dir(dirs[i], &files, &nfiles);
        for (size_t j = 0; rc == 0 && j < nfiles; j++) {
            char *stem = tpool__strndup(files[j], strlen(files[j]) - 3);
            if (!stem) {
                rc = TPOOL_ENOMEM;
                break;
            }
            /* Only names that tpool__policy_load would accept count. */
            if (strspn(stem, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                             "0123456789_-") != strlen(stem)
                || tpool__strset_has(&seen, stem, strlen(stem))) {
                tpool__free(stem);
                continue;
            }
            if (nstems == stems_cap) {
                size_t ncap = stems_cap ? stems_cap * 2 : 16;
                char **p = tpool__realloc(stems, ncap * sizeof *p);
                if (!p) {
                    tpool__free(stem);
                    rc = TPOOL_ENOMEM;
                    break;
                }
                stems = p;
                stems_cap = ncap;
            }
            stems[nstems++] = stem;
            if (tpool__strset_add(&seen, stem) < 0) {
                rc = TPOOL_ENOMEM;
                break;
            }

            size_t plen = strlen(dirs[i]) + 1 + strlen(files[j]) + 1;
            char *path = tpool__malloc(plen);
            if (!path) {
                rc = TPOOL_ENOMEM;
                break;
            }
            snprintf(path, plen, "%s/%s", dirs[i], files[j]);

            tpool__policy_handle h;
            tpool_error e;
            tpool_error_clear(&e);
            /* A scan opens every .so it finds: one that crashes its loader
             * is reported like any broken file, not the end of the scan. */
            int lrc = tpool__policy_load_path_isolated(path, &h, NULL, NULL, NULL, &e);
            if (lrc) {
                if (lrc == TPOOL_ENOMEM)
                    rc = lrc;
                else if (on_error)
                    on_error(ud, &e);
                tpool__free(path);
                continue;
            }

            rc = add_info(&list, &n, &cap, stem, path, &h.ops);
            tpool__policy_unload(&h);
            tpool__free(path);
        }
        tpool__search_path_free(files, nfiles);
    }

    /* Then the policies linked into the library, as "builtin:NAME". */
    for (size_t i = 0; rc == 0 && i < tpool__builtin_count(); i++) {
        char spec[64];
        snprintf(spec, sizeof spec, TPOOL__BUILTIN_PREFIX "%s", tpool__builtin_at(i)->name);
        tpool__policy_handle h;
        tpool_error e;
        tpool_error_clear(&e);
        int lrc = tpool__policy_load_builtin(spec, &h, &e);
        if (lrc) {
            if (lrc == TPOOL_ENOMEM)
                rc = lrc;
            else if (on_error)
                on_error(ud, &e);
            continue;
        }
        rc = add_info(&list, &n, &cap, spec, spec, &h.ops);
        tpool__policy_unload(&h);
    }

    tpool__strset_free(&seen);
    tpool__search_path_free(stems, nstems);
    tpool__search_path_free(dirs, ndirs);
    if (rc) {
        tpool_policy_list_free(list, n);
        return rc;
    }
    *out = list;
    *count = n;
    return 0;
}
