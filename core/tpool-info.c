/*
 * tpool-info - lists the scheduling policies tpool can load, shows the
 * policy search path, and checks configuration files.
 *
 * Uses the public API only (it links against the installed libtpool, which
 * exports nothing else), so it doubles as a check that the public API is
 * enough to inspect a deployment.
 */
#ifdef HAVE_CONFIG_H
#include "tpool-build.h" /* autoconf's, for PACKAGE_VERSION */
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpool.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

static const char *prog = "tpool-info";

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: %s [--config FILE] COMMAND\n"
            "\n"
            "Commands:\n"
            "  --policies           list the policies on the search path, with\n"
            "                       their parameters; broken files (even ones that\n"
            "                       crash their loader) are warned about\n"
            "  --check-config FILE  load FILE, apply the TPOOL_* environment, load its\n"
            "                       policy, validate its params and create a policy\n"
            "                       state with them, as a pool would; print the\n"
            "                       resolved settings as JSON (exit 1 on error)\n"
            "  --policy-path        print the directories searched for policies\n"
            "  --version            print the version\n"
            "  --help               print this help\n"
            "\n"
            "Options:\n"
            "  --config FILE        use FILE's policy_path for --policies and\n"
            "                       --policy-path (default: the file named by\n"
            "                       TPOOL_CONFIG, if any)\n"
            "\n"
            "Environment: TPOOL_CONFIG, TPOOL_POLICY, TPOOL_THREADS,\n"
            "TPOOL_POLICY_PATH (colon-separated directories searched before the\n"
            "install directory).\n",
            prog);
}

static void print_err(const tpool_error *e)
{
    fprintf(stderr, "%s: %s\n", prog, e->text[0] ? e->text : tpool_strerror(e->code));
}

/*
 * The configuration whose search path --policies and --policy-path use:
 * FILE plus the environment, or what a program would get by default.
 */
static int load_cfg(const char *file, tpool_config **cfg)
{
    tpool_error e;
    tpool_error_clear(&e);
    int rc = file ? tpool_config_load_file(file, cfg, &e)
                  : tpool_config_load_env(cfg, &e);
    if (rc == 0 && file)
        rc = tpool_config_apply_env(*cfg, &e);
    if (rc) {
        print_err(&e);
        if (file)
            tpool_config_free(*cfg);
        *cfg = NULL;
    }
    return rc;
}

static void on_broken(void *ud, const tpool_error *e)
{
    (void)ud;
    fprintf(stderr, "%s: warning: %s\n", prog, e->text);
}

/* A JSON scalar from the params description, printed plainly. Only the
 * shapes that tpool_policy_list writes are handled, so a tiny scanner is
 * enough and tpool-info needs no JSON library of its own. */
typedef struct {
    char name[256];
    char type[256];
    char def[256];
    char range[600];
    char desc[256];
} param_row;

/* Reads one JSON string starting at *p (at the opening quote) into buf. */
static int scan_string(const char **p, char *buf, size_t size)
{
    const char *s = *p;
    if (*s != '"')
        return -1;
    s++;
    size_t n = 0;
    while (*s && *s != '"') {
        char c = *s++;
        if (c == '\\' && *s) {
            c = *s++;
            switch (c) {
            case 'n': c = ' '; break;
            case 't': c = ' '; break;
            case 'u': /* non-ASCII escape: show a placeholder */
                for (int k = 0; k < 4 && *s; k++)
                    s++;
                c = '?';
                break;
            default: break; /* \" \\ \/ */
            }
        }
        if (n + 1 < size)
            buf[n++] = c;
    }
    if (*s != '"')
        return -1;
    buf[n] = '\0';
    *p = s + 1;
    return 0;
}

/* Copies a scalar or a flat array of strings at *p into buf as text. */
static int scan_value(const char **p, char *buf, size_t size)
{
    const char *s = *p;
    if (*s == '"')
        return scan_string(p, buf, size);
    if (*s == '[') {
        size_t n = 0;
        buf[0] = '\0';
        s++;
        while (*s && *s != ']') {
            char item[128];
            if (*s == ',') {
                s++;
                continue;
            }
            if (scan_string(&s, item, sizeof item) != 0)
                return -1;
            n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s%s",
                                  n ? "|" : "", item);
            if (n >= size)
                n = size - 1;
        }
        if (*s != ']')
            return -1;
        *p = s + 1;
        return 0;
    }
    size_t len = strcspn(s, ",}]");
    snprintf(buf, size, "%.*s", (int)len, s);
    *p = s + len;
    return 0;
}

/* Parses the compact array of flat objects that tpool_policy_list writes. */
static int parse_params(const char *json, param_row **rows, size_t *nrows)
{
    *rows = NULL;
    *nrows = 0;
    const char *s = json;
    if (*s++ != '[')
        return -1;
    size_t cap = 0;
    while (*s && *s != ']') {
        if (*s == ',') {
            s++;
            continue;
        }
        if (*s++ != '{')
            return -1;
        if (*nrows == cap) {
            cap = cap ? cap * 2 : 8;
            param_row *r = realloc(*rows, cap * sizeof *r);
            if (!r)
                return -1;
            *rows = r;
        }
        param_row *row = &(*rows)[(*nrows)++];
        memset(row, 0, sizeof *row);
        char min[256] = "", max[256] = "", choices[256] = "";
        while (*s && *s != '}') {
            if (*s == ',') {
                s++;
                continue;
            }
            char key[32], val[256];
            if (scan_string(&s, key, sizeof key) != 0 || *s++ != ':'
                || scan_value(&s, val, sizeof val) != 0)
                return -1;
            if (!strcmp(key, "name"))
                snprintf(row->name, sizeof row->name, "%s", val);
            else if (!strcmp(key, "type"))
                snprintf(row->type, sizeof row->type, "%s", val);
            else if (!strcmp(key, "default"))
                snprintf(row->def, sizeof row->def, "%s", val);
            else if (!strcmp(key, "description"))
                snprintf(row->desc, sizeof row->desc, "%s",
                         strcmp(val, "null") ? val : "");
            else if (!strcmp(key, "min"))
                snprintf(min, sizeof min, "%s", val);
            else if (!strcmp(key, "max"))
                snprintf(max, sizeof max, "%s", val);
            else if (!strcmp(key, "choices"))
                snprintf(choices, sizeof choices, "%s", val);
        }
        if (*s++ != '}')
            return -1;
        if (choices[0])
            snprintf(row->range, sizeof row->range, "%s", choices);
        else if (min[0] || max[0])
            snprintf(row->range, sizeof row->range, "[%s, %s]",
                     strcmp(min, "null") ? min : "-inf",
                     strcmp(max, "null") ? max : "inf");
        else
            snprintf(row->range, sizeof row->range, "-");
    }
    return *s == ']' ? 0 : -1;
}

static void print_params(const char *json)
{
    param_row *rows = NULL;
    size_t n = 0;
    if (!json || parse_params(json, &rows, &n) != 0) {
        printf("    parameters: %s\n", json ? json : "?");
        free(rows);
        return;
    }
    if (n == 0) {
        printf("    parameters: none\n");
        free(rows);
        return;
    }
    /* Column widths fit the longest entry, so the table lines up. */
    int wn = 4, wt = 4, wd = 7, wr = 5;
    for (size_t i = 0; i < n; i++) {
        int l;
        if ((l = (int)strlen(rows[i].name)) > wn) wn = l;
        if ((l = (int)strlen(rows[i].type)) > wt) wt = l;
        if ((l = (int)strlen(rows[i].def)) > wd) wd = l;
        if ((l = (int)strlen(rows[i].range)) > wr) wr = l;
    }
    printf("    %-*s  %-*s  %-*s  %-*s  %s\n", wn, "name", wt, "type", wd,
           "default", wr, "range", "description");
    for (size_t i = 0; i < n; i++)
        printf("    %-*s  %-*s  %-*s  %-*s  %s\n", wn, rows[i].name, wt,
               rows[i].type, wd, rows[i].def, wr, rows[i].range, rows[i].desc);
    free(rows);
}

static int cmd_policies(const char *config_file)
{
    tpool_config *cfg = NULL;
    if (load_cfg(config_file, &cfg) != 0)
        return 1;
    tpool_policy_info *list;
    size_t n;
    int rc = tpool_policy_list(cfg, &list, &n, on_broken, NULL);
    tpool_config_free(cfg);
    if (rc) {
        fprintf(stderr, "%s: listing policies: %s\n", prog, tpool_strerror(rc));
        return 1;
    }
    if (n == 0)
        printf("no policies found; see %s --policy-path\n", prog);
    for (size_t i = 0; i < n; i++) {
        printf("%s%s\n", i ? "\n" : "", list[i].name);
        printf("    file: %s\n", list[i].path);
        if (list[i].description[0])
            printf("    description: %s\n", list[i].description);
        /* TPOOL_POLICY_PROGRESS: an item of a pthreadpool call may wait for
         * the others (docs/api.md, TPOOL_FLAG_PROGRESS). */
        printf("    progress: %s\n",
               list[i].progress ? "yes (an item of a parallel-for may wait for the others)"
                                : "no, with the default parameters (an item of a "
                                  "parallel-for that waits for another may wait forever)");
        print_params(list[i].params_json);
    }
    tpool_policy_list_free(list, n);
    return 0;
}

static int cmd_policy_path(const char *config_file)
{
    tpool_config *cfg = NULL;
    if (load_cfg(config_file, &cfg) != 0)
        return 1;
    char **dirs;
    size_t n;
    tpool_error e;
    tpool_error_clear(&e);
    int rc = tpool_policy_search_path(cfg, &dirs, &n, &e);
    tpool_config_free(cfg);
    if (rc) {
        print_err(&e);
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        printf("%s\n", dirs[i]);
    tpool_policy_search_path_free(dirs, n);
    return 0;
}

static int cmd_check_config(const char *file)
{
    tpool_config *cfg = NULL;
    tpool_error e;
    tpool_error_clear(&e);
    char *json = NULL;
    int rc = tpool_config_load_file(file, &cfg, &e);
    if (rc == 0)
        rc = tpool_config_apply_env(cfg, &e);
    if (rc == 0)
        rc = tpool_config_resolve(cfg, &json, &e);
    tpool_config_free(cfg);
    if (rc) {
        print_err(&e);
        return 1;
    }
    printf("%s\n", json);
    free(json);
    return 0;
}

/* Accepts "--opt VALUE" and "--opt=VALUE". */
static const char *opt_value(int argc, char **argv, int *i, const char *opt)
{
    size_t l = strlen(opt);
    if (strncmp(argv[*i], opt, l) != 0)
        return NULL;
    if (argv[*i][l] == '=')
        return argv[*i] + l + 1;
    if (argv[*i][l] == '\0' && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

int main(int argc, char **argv)
{
    enum command {
        CMD_NONE, CMD_POLICIES, CMD_CHECK, CMD_PATH, CMD_VERSION, CMD_HELP
    } cmd = CMD_NONE;
    const char *config_file = NULL, *check_file = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        enum command c = CMD_NONE;
        if (!strcmp(a, "--policies"))
            c = CMD_POLICIES;
        else if (!strcmp(a, "--policy-path"))
            c = CMD_PATH;
        else if (!strcmp(a, "--version"))
            c = CMD_VERSION;
        else if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            c = CMD_HELP;
        else if ((v = opt_value(argc, argv, &i, "--check-config"))) {
            c = CMD_CHECK;
            check_file = v;
        } else if ((v = opt_value(argc, argv, &i, "--config"))) {
            config_file = v;
            continue;
        } else {
            fprintf(stderr, "%s: unknown option or missing argument: '%s'\n", prog, a);
            usage(stderr);
            return 2;
        }
        if (cmd != CMD_NONE && cmd != c) {
            fprintf(stderr, "%s: give one command at a time\n", prog);
            usage(stderr);
            return 2;
        }
        cmd = c;
    }

    switch (cmd) {
    case CMD_POLICIES: return cmd_policies(config_file);
    case CMD_CHECK: return cmd_check_config(check_file);
    case CMD_PATH: return cmd_policy_path(config_file);
    case CMD_VERSION: printf("tpool-info (tpool) %s\n", PACKAGE_VERSION); return 0;
    case CMD_HELP: usage(stdout); return 0;
    case CMD_NONE: break;
    }
    usage(stderr);
    return 2;
}
