/*
 * workload.c - what every workload shares: the calibrated spin loop, the
 * per-run recorder and its checks, a cell's figures from it, the registry
 * of built-in workloads and their parameter values. The services a
 * workload runs through are exec.c's.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bench.h"
#include "params.h"

/* ---- spin loop ---------------------------------------------------------------- */

/* noinline and a dependent chain: the compiler can neither hoist it out of
 * a body nor shorten it, and its cost is linear in iters. */
__attribute__((noinline)) uint64_t bench_spin(uint64_t iters, uint64_t seed)
{
    uint64_t x = seed;
    for (uint64_t i = 0; i < iters; i++)
        x = x * 6364136223846793005u + 1442695040888963407u;
    return x;
}

static _Atomic uint64_t calib_bits; /* the double, once calibrated; 0 before */

double bench_calibrate(void)
{
    uint64_t bits = atomic_load_explicit(&calib_bits, memory_order_acquire);
    if (bits) {
        double d;
        memcpy(&d, &bits, sizeof d);
        return d;
    }
    /* Best of several tries of about a millisecond each: the minimum is the
     * run least disturbed by interrupts and frequency ramp-up. */
    const uint64_t iters = 1u << 20;
    uint64_t best = UINT64_MAX;
    volatile uint64_t sink = 0;
    for (int k = 0; k < 15; k++) {
        uint64_t t0 = bench_now_ns();
        sink += bench_spin(iters, (uint64_t)k);
        uint64_t dt = bench_now_ns() - t0;
        if (dt < best)
            best = dt;
    }
    (void)sink;
    double per_ns = (double)iters / (double)(best ? best : 1);
    memcpy(&bits, &per_ns, sizeof bits);
    atomic_store_explicit(&calib_bits, bits, memory_order_release);
    return per_ns;
}

uint64_t bench_ns_to_iters(double ns)
{
    double it = ns * bench_calibrate();
    return it < 1 ? (ns > 0 ? 1 : 0) : (uint64_t)(it + 0.5);
}

/* ---- recorder ------------------------------------------------------------------ */

bench_rec bench_g_rec;

static _Thread_local uint32_t tl_epoch; /* 0 never matches: epochs start at 1 */
static _Thread_local unsigned tl_slot;

unsigned bench_rec_slot(void)
{
    uint32_t e = atomic_load_explicit(&bench_g_rec.epoch, memory_order_relaxed);
    if (tl_epoch != e) {
        tl_slot = atomic_fetch_add_explicit(&bench_g_rec.next_slot, 1, memory_order_relaxed);
        tl_epoch = e;
    }
    return tl_slot < BENCH_MAX_SLOTS ? tl_slot : BENCH_NO_SLOT;
}

/* Adds the index sums of first..first+n-1 to three shared counters. */
static void add_shared(_Atomic uint64_t *cnt, _Atomic uint64_t *sum, _Atomic uint64_t *sq,
                       uint64_t first, uint64_t n)
{
    uint64_t c = 0, s = 0, q = 0;
    bench_isums_add(&c, &s, &q, first, n);
    atomic_fetch_add_explicit(cnt, c, memory_order_relaxed);
    atomic_fetch_add_explicit(sum, s, memory_order_relaxed);
    atomic_fetch_add_explicit(sq, q, memory_order_relaxed);
}

void bench_rec_overflow(uint64_t first, uint64_t n)
{
    bench_rec *r = &bench_g_rec;
    atomic_fetch_add_explicit(&r->overflow, 1, memory_order_relaxed);
    add_shared(&r->ovf_items, &r->ovf_isum, &r->ovf_isq, first, n);
}

void bench_rec_overflow_dispatch(uint64_t first, uint64_t n)
{
    bench_rec *r = &bench_g_rec;
    add_shared(&r->ovf_d_items, &r->ovf_d_isum, &r->ovf_d_isq, first, n);
}

int bench_rec_reset(int trace, unsigned trace_slots, uint32_t cap)
{
    bench_rec *r = &bench_g_rec;
    for (unsigned i = 0; i < BENCH_MAX_SLOTS; i++) {
        bench_slot *s = &r->slots[i];
        s->calls = s->items = s->work = s->isum = s->isq = s->tasks = s->own = 0;
        s->d_items = s->d_isum = s->d_isq = s->idx_next = s->idx_end = s->stamps = 0;
        s->nev = 0;
        s->dropped = 0;
        int want = trace && i < trace_slots && cap > 0;
        if (want && s->evcap != cap) {
            bench_event *ev = realloc(s->ev, (size_t)cap * sizeof *ev);
            if (!ev)
                return -1;
            s->ev = ev;
            s->evcap = cap;
        } else if (!want) {
            free(s->ev);
            s->ev = NULL;
            s->evcap = 0;
        }
    }
    bench_tasks_reset();
    r->trace = trace;
    _Atomic uint64_t *zero[] = { &r->overflow, &r->ovf_items, &r->ovf_isum, &r->ovf_isq,
                                 &r->ovf_d_items, &r->ovf_d_isum, &r->ovf_d_isq,
                                 &r->ovf_stamps, &r->next_index };
    for (size_t i = 0; i < sizeof zero / sizeof zero[0]; i++)
        atomic_store_explicit(zero[i], 0, memory_order_relaxed);
    atomic_store_explicit(&r->next_slot, 0, memory_order_relaxed);
    uint32_t e = atomic_load_explicit(&r->epoch, memory_order_relaxed) + 1;
    atomic_store_explicit(&r->epoch, e ? e : 1, memory_order_relaxed);
    return 0;
}

void bench_rec_free(void)
{
    for (unsigned i = 0; i < BENCH_MAX_SLOTS; i++) {
        free(bench_g_rec.slots[i].ev);
        bench_g_rec.slots[i].ev = NULL;
        bench_g_rec.slots[i].evcap = 0;
        bench_g_rec.slots[i].nev = 0;
    }
    bench_g_rec.trace = 0;
    bench_tasks_free();
}

double bench_rec_imbalance(unsigned participants)
{
    uint64_t max = 0, sum = 0;
    for (unsigned i = 0; i < BENCH_MAX_SLOTS; i++) {
        uint64_t b = bench_g_rec.slots[i].work;
        sum += b;
        if (b > max)
            max = b;
    }
    if (sum == 0 || participants == 0)
        return NAN;
    double r = (double)max / ((double)sum / (double)participants);
    return r < 1 ? 1 : r; /* max >= mean; only rounding can say otherwise */
}

/* What ran, over every slot: the count and the two index sums. */
static void ran(uint64_t *items, uint64_t *isum, uint64_t *isq)
{
    const bench_rec *r = &bench_g_rec;
    *items = atomic_load_explicit(&r->ovf_items, memory_order_relaxed);
    *isum = atomic_load_explicit(&r->ovf_isum, memory_order_relaxed);
    *isq = atomic_load_explicit(&r->ovf_isq, memory_order_relaxed);
    for (unsigned i = 0; i < BENCH_MAX_SLOTS; i++) {
        *items += r->slots[i].items;
        *isum += r->slots[i].isum;
        *isq += r->slots[i].isq;
    }
}

/* Compares what ran with what should have: 0, or -1 with why. */
static int compare(uint64_t n, uint64_t sum, uint64_t sq, char *msg, size_t msgsize)
{
    uint64_t items, isum, isq;
    ran(&items, &isum, &isq);
    if (items != n) {
        snprintf(msg, msgsize, "%" PRIu64 " item runs recorded for %" PRIu64
                 " items (%s)", items, n,
                 items > n ? "some item ran more than once" : "some item never ran");
        return -1;
    }
    if (isum != sum || isq != sq) {
        snprintf(msg, msgsize, "%" PRIu64 " item runs for %" PRIu64 " items, but not one "
                 "each: some item ran twice and another never", items, n);
        return -1;
    }
    return 0;
}

int bench_rec_check_items(uint64_t n, char *msg, size_t msgsize)
{
    return compare(n, bench_sum1(n), bench_sum2(n), msg, msgsize);
}

/* What was dispatched, over every slot. */
static void dispatched(uint64_t *items, uint64_t *isum, uint64_t *isq)
{
    const bench_rec *r = &bench_g_rec;
    *items = atomic_load_explicit(&r->ovf_d_items, memory_order_relaxed);
    *isum = atomic_load_explicit(&r->ovf_d_isum, memory_order_relaxed);
    *isq = atomic_load_explicit(&r->ovf_d_isq, memory_order_relaxed);
    for (unsigned i = 0; i < BENCH_MAX_SLOTS; i++) {
        *items += r->slots[i].d_items;
        *isum += r->slots[i].d_isum;
        *isq += r->slots[i].d_isq;
    }
}

int bench_rec_check_dispatched(char *msg, size_t msgsize)
{
    uint64_t n, sum, sq;
    dispatched(&n, &sum, &sq);
    return compare(n, sum, sq, msg, msgsize);
}

uint64_t bench_rec_dispatched(void)
{
    uint64_t n, sum, sq;
    dispatched(&n, &sum, &sq);
    return n;
}

uint64_t bench_rec_stamps(void)
{
    uint64_t n = atomic_load_explicit(&bench_g_rec.ovf_stamps, memory_order_relaxed);
    for (unsigned i = 0; i < BENCH_MAX_SLOTS; i++)
        n += bench_g_rec.slots[i].stamps;
    return n;
}

/* ---- a cell's figures from the recorder ------------------------------------------ */

static int cmp_desc_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x < y) - (x > y);
}

int bench_cell_record_round(bench_cell *c, unsigned k)
{
    const bench_rec *r = &bench_g_rec;
    uint64_t work[BENCH_MAX_SLOTS], total = 0, calls = 0, tasks = 0, own = 0;
    unsigned active = 0;
    for (unsigned i = 0; i < BENCH_MAX_SLOTS; i++) {
        const bench_slot *s = &r->slots[i];
        calls += s->calls;
        tasks += s->tasks;
        own += s->own;
        if (s->calls || s->tasks) {
            work[active++] = s->work;
            total += s->work;
        }
    }
    /* Whoever ran something took part, the waiting caller included; the T
     * participants count even when some got nothing. */
    unsigned parts = active > c->threads ? active : c->threads;
    c->imbalance[k] = bench_rec_imbalance(parts);
    c->rec_calls += calls;
    c->rec_tasks += tasks;
    c->rec_own += own;
    /* a stamped task reads the clock at its submission, start and end */
    c->rec_clock_reads += 3 * bench_rec_stamps();
    if (!total)
        return 0;
    if (!c->part_share) {
        c->part_share = calloc(BENCH_MAX_SLOTS, sizeof *c->part_share);
        if (!c->part_share)
            return -1;
    }
    qsort(work, active, sizeof *work, cmp_desc_u64);
    for (unsigned i = 0; i < active; i++)
        c->part_share[i] += (double)work[i] / (double)total;
    if (parts > c->nparts)
        c->nparts = parts;
    return 0;
}

void bench_cell_rec_figures(const bench_cell *c, const bench_rec_costs *k,
                            bench_rec_figures *f)
{
    double n = c->nrounds;
    if (c->nrounds == 0) {
        f->calls = f->tasks = f->clock_reads = f->cost_ns = f->cost_share = NAN;
        f->producer_share = NAN;
        return;
    }
    f->calls = (double)c->rec_calls / n;
    f->tasks = (double)c->rec_tasks / n;
    f->clock_reads = (double)c->rec_clock_reads / n;
    f->cost_ns = f->calls * k->per_call + f->tasks * k->per_task + f->clock_reads * k->per_clock;
    f->cost_share = c->t.median > 0 && c->threads
                        ? f->cost_ns / (c->t.median * (double)c->threads)
                        : NAN;
    f->producer_share = c->rec_tasks ? (double)c->rec_own / (double)c->rec_tasks : NAN;
}

/* ---- registry -------------------------------------------------------------------- */

/* harness/workload-list.h, generated from the build's list of workload
 * files: one BENCH_WORKLOAD(bench_wl_NAME) line per file. */
#define BENCH_WORKLOAD(sym) extern const tpool_bench_workload sym;
#include "workload-list.h"
#undef BENCH_WORKLOAD

#define BENCH_WORKLOAD(sym) &sym,
const tpool_bench_workload *const bench_workloads[] = {
#include "workload-list.h"
};
#undef BENCH_WORKLOAD
const size_t bench_nworkloads = sizeof bench_workloads / sizeof bench_workloads[0];

const tpool_bench_workload *bench_workload_find(const char *name)
{
    for (size_t i = 0; i < bench_nworkloads; i++)
        if (strcmp(bench_workloads[i]->name, name) == 0)
            return bench_workloads[i];
    /* Not in the registry, so in no default list: it needs a record. */
    if (strcmp(name, bench_wl_replay.name) == 0)
        return &bench_wl_replay;
    return NULL;
}

const char *bench_workload_unit(const tpool_bench_workload *w)
{
    return w->unit && w->unit[0] ? w->unit : "items";
}

int bench_workload_param(const tpool_bench_workload *w, const char *name)
{
    for (unsigned i = 0; w->params && i < w->nparams; i++)
        if (strcmp(w->params[i].name, name) == 0)
            return (int)i;
    return -1;
}

void bench_env_init(tpool_bench_env *env)
{
    memset(env, 0, sizeof *env);
    env->abi_version = TPOOL_BENCH_ABI_VERSION;
    env->struct_size = sizeof *env;
    env->spin = bench_spin;
    env->ns_to_iters = bench_ns_to_iters;
    env->now_ns = bench_now_ns;
    env->sleep_ns = bench_sleep_ns;
}

/* ---- parameter values ---------------------------------------------------------- */

void bench_wl_defaults(bench_wl_inst *w)
{
    memset(w->p, 0, sizeof w->p);
    for (unsigned i = 0; w->wl->params && i < w->wl->nparams && i < TPOOL_BENCH_MAX_PARAMS; i++)
        tpool__param_default(&w->wl->params[i], &w->p[i]);
}

json_t *bench_wl_param_json(const bench_wl_inst *w, unsigned k)
{
    const tpool_param_desc *d = &w->wl->params[k];
    switch (d->type) {
    case TPOOL_PARAM_INT: return json_integer((json_int_t)w->p[k].i);
    case TPOOL_PARAM_BOOL: return json_boolean(w->p[k].i);
    case TPOOL_PARAM_DOUBLE: return json_real(w->p[k].d);
    case TPOOL_PARAM_ENUM: return json_string(d->choices[w->p[k].i]);
    case TPOOL_PARAM_STRING: return json_string(w->p[k].s ? w->p[k].s : "");
    }
    return json_null();
}

double bench_wl_param_num(const bench_wl_inst *w, unsigned k)
{
    switch (w->wl->params[k].type) {
    case TPOOL_PARAM_DOUBLE: return w->p[k].d;
    case TPOOL_PARAM_STRING: return NAN;
    default: return (double)w->p[k].i;
    }
}

void bench_wl_param_text(const bench_wl_inst *w, unsigned k, char *buf, size_t size)
{
    const tpool_param_desc *d = &w->wl->params[k];
    switch (d->type) {
    case TPOOL_PARAM_INT: snprintf(buf, size, "%s=%" PRId64, d->name, w->p[k].i); return;
    case TPOOL_PARAM_BOOL:
        snprintf(buf, size, "%s=%s", d->name, w->p[k].i ? "true" : "false");
        return;
    case TPOOL_PARAM_DOUBLE: snprintf(buf, size, "%s=%.10g", d->name, w->p[k].d); return;
    case TPOOL_PARAM_ENUM: snprintf(buf, size, "%s=%s", d->name, d->choices[w->p[k].i]); return;
    case TPOOL_PARAM_STRING: snprintf(buf, size, "%s=\"%s\"", d->name, w->p[k].s); return;
    }
    snprintf(buf, size, "%s=?", d->name);
}
