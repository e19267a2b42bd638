/*
 * machine.c - the state of the machine while measuring, and the warnings a
 * reader of the results needs: the load average, the CPU frequency
 * governors, how much of the CPUs this experiment may use other processes
 * took, and, per cell, intervals too wide to compare with, outliers and
 * runs that disagree.
 *
 * "Others" are measured from /proc/stat: over a stretch, the busy ticks of
 * the CPUs in this process's affinity mask (user, nice, system, irq,
 * softirq, steal) less the ticks this experiment's processes used
 * (/proc/PID/stat utime + stime), over all ticks of those CPUs. The load
 * average counts this experiment's own threads too; the part that is ours
 * is estimated from our CPU use, decayed as the kernel decays the 1-minute
 * average (exp(-dt/60)), and taken off.
 */
#define _GNU_SOURCE
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static int allowed(cpu_set_t *set)
{
    CPU_ZERO(set);
    return sched_getaffinity(0, sizeof *set, set) == 0 ? 0 : -1;
}

/* "0-3,8" for the CPUs of set. */
static void cpu_list(const cpu_set_t *set, char *buf, size_t size)
{
    size_t l = 0;
    buf[0] = '\0';
    for (int c = 0; c < CPU_SETSIZE && l < size; c++) {
        if (!CPU_ISSET(c, set))
            continue;
        int e = c;
        while (e + 1 < CPU_SETSIZE && CPU_ISSET(e + 1, set))
            e++;
        l += (size_t)(e > c ? snprintf(buf + l, size - l, "%s%d-%d", l ? "," : "", c, e)
                            : snprintf(buf + l, size - l, "%s%d", l ? "," : "", c));
        c = e;
    }
}

static int read_line(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int ok = fgets(buf, (int)size, f) != NULL;
    fclose(f);
    if (!ok)
        return -1;
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

void bench_machine_init(bench_machine *m)
{
    memset(m, 0, sizeof *m);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    m->ncpu = n > 0 ? (unsigned)n : 1;
    m->cpu_mhz = m->cpu_max_mhz = NAN;
    m->load_max = m->others_before = m->others_max = NAN;
    for (int i = 0; i < 3; i++)
        m->load_before[i] = NAN;
    double l[3];
    if (getloadavg(l, 3) == 3)
        memcpy(m->load_before, l, sizeof l);
    cpu_set_t set;
    if (allowed(&set) != 0)
        return;
    cpu_list(&set, m->affinity, sizeof m->affinity);
    m->affinity_cpus = (unsigned)CPU_COUNT(&set);
    int first = -1;
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (!CPU_ISSET(c, &set))
            continue;
        if (first < 0)
            first = c;
        char path[128], gov[64];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor", c);
        if (read_line(path, gov, sizeof gov) != 0 || !gov[0])
            continue;
        /* the distinct governors, comma-separated */
        char tag[72];
        snprintf(tag, sizeof tag, ",%s,", gov);
        char have[sizeof m->governors + 2];
        snprintf(have, sizeof have, ",%s,", m->governors);
        if (!strstr(have, tag)) {
            size_t gl = strlen(m->governors);
            snprintf(m->governors + gl, sizeof m->governors - gl, "%s%s", gl ? "," : "", gov);
        }
    }
    if (first < 0)
        return;
    char path[128], v[64];
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_cur_freq", first);
    if (read_line(path, v, sizeof v) == 0)
        m->cpu_mhz = atof(v) / 1000;
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/cpufreq/cpuinfo_max_freq", first);
    if (read_line(path, v, sizeof v) == 0)
        m->cpu_max_mhz = atof(v) / 1000;
    if (isnan(m->cpu_mhz)) {
        /* no cpufreq (a VM): the "cpu MHz" line of /proc/cpuinfo */
        FILE *f = fopen("/proc/cpuinfo", "r");
        char line[256];
        int proc = -1;
        while (f && fgets(line, sizeof line, f)) {
            if (strncmp(line, "processor", 9) == 0 && strchr(line, ':'))
                proc = atoi(strchr(line, ':') + 1);
            else if (proc == first && strncmp(line, "cpu MHz", 7) == 0 && strchr(line, ':')) {
                m->cpu_mhz = atof(strchr(line, ':') + 1);
                break;
            }
        }
        if (f)
            fclose(f);
    }
}

/* Busy and total ticks of the allowed CPUs since boot. */
static int cpu_ticks(uint64_t *busy, uint64_t *total)
{
    cpu_set_t set;
    if (allowed(&set) != 0)
        return -1;
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return -1;
    char line[512];
    int seen = 0;
    *busy = *total = 0;
    while (fgets(line, sizeof line, f)) {
        int cpu;
        unsigned long long v[8] = { 0 };
        if (strncmp(line, "cpu", 3) != 0 || line[3] < '0' || line[3] > '9')
            continue;
        if (sscanf(line + 3, "%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0], &v[1],
                   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 5)
            continue;
        if (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &set))
            continue;
        /* user nice system idle iowait irq softirq steal */
        *busy += v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
        *total += v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
        seen = 1;
    }
    fclose(f);
    return seen ? 0 : -1;
}

/* CPU ticks used by the processes pids (all their threads). */
static uint64_t own_ticks(const int *pids, size_t n)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        char path[64], buf[1024];
        snprintf(path, sizeof path, "/proc/%d/stat", pids[i]);
        if (read_line(path, buf, sizeof buf) != 0)
            continue;
        /* after the command's ")", fields 3.. ; utime and stime are 14, 15 */
        char *p = strrchr(buf, ')');
        unsigned long long ut = 0, st = 0;
        if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
                        &st) == 2)
            sum += ut + st;
    }
    return sum;
}

void bench_machine_before(bench_machine *m, const int *pids, size_t npids, unsigned window_ms)
{
    uint64_t b0, t0, b1, t1;
    if (cpu_ticks(&b0, &t0) != 0)
        return;
    uint64_t o0 = own_ticks(pids, npids);
    bench_sleep_ns((uint64_t)window_ms * 1000000u);
    if (cpu_ticks(&b1, &t1) != 0 || t1 <= t0)
        return;
    uint64_t o1 = own_ticks(pids, npids);
    double others = (double)(b1 - b0) - (double)(o1 - o0);
    m->others_before = others > 0 ? others / (double)(t1 - t0) : 0;
    m->own_at_ns = bench_now_ns();
    m->own_ticks_at = o1;
}

void bench_machine_mark(bench_machine *m, const int *pids, size_t npids)
{
    if (cpu_ticks(&m->m_busy, &m->m_total) != 0)
        m->m_total = 0;
    m->m_own = own_ticks(pids, npids);
    m->m_wall = bench_now_ns();
    if (!m->own_at_ns) {
        m->own_at_ns = m->m_wall;
        m->own_ticks_at = m->m_own;
    }
}

void bench_machine_sample(bench_machine *m, const int *pids, size_t npids)
{
    uint64_t busy, total;
    uint64_t own = own_ticks(pids, npids), now = bench_now_ns();
    if (m->m_total && cpu_ticks(&busy, &total) == 0 && total > m->m_total) {
        double others = (double)(busy - m->m_busy) - (double)(own - m->m_own);
        if (others < 0)
            others = 0;
        double cap = (double)(total - m->m_total);
        m->others_busy += others;
        m->others_cap += cap;
        if (isnan(m->others_max) || others / cap > m->others_max)
            m->others_max = others / cap;
    }
    /* our share of the load: CPUs we kept busy, decayed like the kernel's
     * 1-minute average */
    double dt = (double)(now - m->own_at_ns) * 1e-9;
    if (dt > 0) {
        double rate = (double)(own - m->own_ticks_at) / (double)sysconf(_SC_CLK_TCK) / dt;
        double k = exp(-dt / 60);
        m->own_load = m->own_load * k + rate * (1 - k);
        m->own_at_ns = now;
        m->own_ticks_at = own;
    }
    double l[1];
    if (getloadavg(l, 1) == 1) {
        double theirs = l[0] - m->own_load;
        if (theirs < 0)
            theirs = 0;
        if (isnan(m->load_max) || theirs > m->load_max)
            m->load_max = theirs;
    }
    m->nsamples++;
}

void bench_warn(bench_report *r, const char *kind, const char *fmt, ...)
{
    if (r->nwarnings >= BENCH_MAX_WARNINGS)
        return;
    bench_warning *w = &r->warnings[r->nwarnings++];
    snprintf(w->kind, sizeof w->kind, "%s", kind);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->text, sizeof w->text, fmt, ap);
    va_end(ap);
}

void bench_machine_warnings(bench_report *r)
{
    const bench_machine *m = &r->machine;
    double limit = BENCH_WARN_LOAD_PER_CPU * (m->ncpu ? m->ncpu : 1);
    if (m->load_before[0] > limit)
        bench_warn(r, "load",
                   "the load average was %.2f before the run, above %.1f per CPU (%u CPUs): "
                   "other work competes for the CPUs",
                   m->load_before[0], BENCH_WARN_LOAD_PER_CPU, m->ncpu);
    if (m->load_max > limit)
        bench_warn(r, "load",
                   "during the run the load average, less this experiment's own share, "
                   "reached %.2f, above %.1f per CPU (%u CPUs)",
                   m->load_max, BENCH_WARN_LOAD_PER_CPU, m->ncpu);
    if (m->governors[0] && strcmp(m->governors, "performance") != 0)
        bench_warn(r, "governor",
                   "the CPU frequency governor is %s, not performance: the clock may change "
                   "under the measurement",
                   m->governors);
    double during = m->others_cap > 0 ? m->others_busy / m->others_cap : NAN;
    if (m->others_before > BENCH_WARN_OTHERS || during > BENCH_WARN_OTHERS) {
        char before[64] = "", while_[96] = "";
        if (!isnan(m->others_before))
            snprintf(before, sizeof before, "%.0f%% of their time just before measuring",
                     m->others_before * 100);
        if (!isnan(during))
            snprintf(while_, sizeof while_, "%s%.0f%% while measuring (%.0f%% in the worst round)",
                     before[0] ? " and " : "", during * 100, m->others_max * 100);
        bench_warn(r, "not_alone", "not alone on its CPUs (%s): other processes used %s%s",
                   m->affinity[0] ? m->affinity : "?", before, while_);
    }
    /* the cells */
    unsigned wide = 0, outl = 0, disagree = 0, few = 0;
    for (size_t i = 0; i < r->ncells; i++) {
        const bench_cell *c = &r->cells[i];
        wide += (c->flags & BENCH_FLAG_WIDE_CI) != 0;
        outl += (c->flags & BENCH_FLAG_OUTLIERS) != 0;
        disagree += (c->flags & BENCH_FLAG_RUNS_DISAGREE) != 0;
        few += c->nrounds > 0 && c->t.ci_level < 0.95;
    }
    if (wide)
        bench_warn(r, "wide_ci",
                   "%u of %zu cells have a 95%% CI wider than %.0f%% of their median (marked "
                   "WIDE): differences between them smaller than that mean nothing",
                   wide, r->ncells, BENCH_WIDE_CI * 100);
    if (outl)
        bench_warn(r, "outliers",
                   "%u cells have rounds beyond Tukey's outer fences (3 IQR; marked): "
                   "something disturbed those rounds",
                   outl);
    if (disagree)
        bench_warn(r, "runs_disagree",
                   "%u cells have two runs whose 95%% CIs do not overlap (marked): the "
                   "differences between processes exceed what one run's CI says",
                   disagree);
    if (few)
        bench_warn(r, "few_rounds",
                   "%u cells have fewer than 6 rounds: their interval is [min, max] at "
                   "below 95%% coverage",
                   few);
    if (r->incomplete)
        bench_warn(r, "incomplete", "%s", r->incomplete_why);
}
