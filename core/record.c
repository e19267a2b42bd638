/*
 * record.c - the recorder: what a program's pools run, written as JSON
 * lines (docs/record-format.md) for `tpool-bench replay` and `advise`.
 * record.h says what is recorded and where the core calls in.
 *
 * Buffers. Each thread that records gets a rec_thread (on its first event)
 * and writes fixed-layout events into its current block: it fills the
 * event, then publishes it by a release store of the block's `used`. The
 * flusher (holding the recorder's lock) writes every full block and, of
 * each live thread's current block, the bytes from its own mark `flushed`
 * to an acquire load of `used`. The owner changes its current block only
 * under the lock (a full block is put on the full list and the new one
 * installed in the same critical section), and only the flusher frees
 * blocks, so a block the flusher reads stays alive. Blocks of exited
 * threads go to the full list (a pthread key destructor). The lock is
 * taken once per block of 64 KiB, at pool creation and destruction, and at
 * exit, never per event.
 *
 * Bounds. Recording stops (and says so in the "end" line) once `max_mb` of
 * blocks have been filled; the first `full_calls` parallel-fors have every
 * chunk timed, later ones one call in `every` (the others record their
 * shape and times only), and the record says which.
 *
 * Errors (a file that cannot be opened or written) are printed once on
 * stderr with the variable or key and the path; the program goes on,
 * unrecorded. A forked child does not record (its pools are its own, and
 * the file is the parent's).
 */
#define _GNU_SOURCE
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "alloc.h"
#include "atomics.h"
#include "clock.h"
#include "parallel.h"
#include "pool.h"
#include "seats.h"

#include "tpool-build.h" /* autoconf's, for PACKAGE_VERSION */
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* ---- events ------------------------------------------------------------------ */

enum { EV_CALL = 1, EV_CHUNK = 2, EV_TASK = 3, EV_WAIT = 4 };
/* What a call or task ran inside of (the thread's context at the time). */
enum { IN_NONE = 0, IN_TASK = 1, IN_CALL = 2 };

typedef struct ev_call {
    uint32_t kind, pool;
    uint64_t id, t0, t1, n, work;
    uint64_t in_id;
    uint32_t in_kind, tid, flags, threads, ndim, timed;
    int32_t priority, has_cost;
    const char *api; /* a static string */
    uint64_t range[TPOOL_ND_MAX], tile[TPOOL_ND_MAX];
    uint64_t c0, c1, v0, v1; /* "cpu": the caller's CPU time and voluntary
                                switches at t0 and t1 */
    uint32_t has_cpu, pad;
} ev_call;

typedef struct ev_chunk {
    uint32_t kind, tid;
    uint64_t call, begin, n, ns;
    uint64_t cpu;          /* "cpu": the thread's CPU time over the chunk */
    uint32_t blocked;      /* "cpu": it blocked (voluntary context switches) */
    uint32_t has_cpu;
} ev_chunk;

typedef struct ev_task {
    uint32_t kind, pool;
    uint64_t id, in_id, group, cost, t_submit, t0, t1;
    uint32_t in_kind, tid_submit, tid_run, cancelled;
    int32_t priority, worker;
    uint64_t tc, tv;         /* "cpu": the submitter's at the submission */
    uint64_t c0, c1, v0, v1; /* "cpu": the runner's at t0 and t1 */
    uint32_t has_cpu, pad;
} ev_task;

typedef struct ev_wait {
    uint32_t kind, pool; /* pool: waits on every task of a pool (group 0) */
    uint64_t group, in_id, t0, t1;
    uint32_t in_kind, tid, destroy, has_cpu;
    uint64_t c0, c1, v0, v1; /* "cpu": the waiter's at t0 and t1 */
} ev_wait;

static size_t ev_size(uint32_t kind)
{
    switch (kind) {
    case EV_CALL: return sizeof(ev_call);
    case EV_CHUNK: return sizeof(ev_chunk);
    case EV_TASK: return sizeof(ev_task);
    case EV_WAIT: return sizeof(ev_wait);
    }
    return 0;
}

/* ---- per-thread buffers -------------------------------------------------------- */

#define BLOCK_BYTES (64u * 1024u)

typedef struct rec_block {
    struct rec_block *next; /* the full list (recorder lock) */
    tpool__a32 used;        /* bytes published: the owner's release stores */
    uint32_t flushed;       /* bytes written: the flusher's, under the lock */
    _Alignas(8) unsigned char data[BLOCK_BYTES];
} rec_block;

typedef struct rec_thread {
    rec_block *cur;     /* written by the owner under the lock; read by the flusher */
    uint32_t tid;       /* its number in the record */
    uint32_t in_kind;   /* owner-only: what it is running now (IN_*) */
    uint64_t in_id;
    uint64_t last_chunk_ns; /* owner-only: its last timed chunk's time, 0: none */
    struct rec_thread *prev, *next; /* the registry (lock) */
} rec_thread;

enum { REC_IDLE = 0, REC_ON = 1, REC_STOPPED = 2, REC_OFF = 3 };

static struct {
    pthread_mutex_t lock;
    tpool__a32 state;        /* REC_*; REC_ON is read on every recorded event */
    pid_t pid;
    FILE *f;
    char *path;              /* as given */
    const char *origin;      /* "TPOOL_RECORD" or the configuration's source */
    uint64_t t_start;
    uint64_t max_bytes;
    uint64_t full_calls, every;
    bool cpu;                /* timed chunks read the thread's CPU time too */
    rec_thread *threads;     /* live threads that recorded (lock) */
    rec_block *full, *full_tail;
    uint32_t next_tid, next_pool, open_pools; /* lock */
    tpool__a64 bytes;        /* blocks handed out, in bytes */
    tpool__a64 next_call, next_task, next_group;
    tpool__a32 capped;
    /* Dropped events (recording stopped, or no memory). */
    tpool__a64 drop_calls, drop_chunks, drop_tasks, drop_waits;
    /* Written (flusher). */
    uint64_t n_calls, n_timed, n_chunks, n_tasks, n_waits;
    pthread_key_t key;
    int key_ok;
} R = { .lock = PTHREAD_MUTEX_INITIALIZER };

static _Thread_local rec_thread *tl_rec;

static inline bool rec_on(void)
{
    return ld_relaxed(&R.state) == REC_ON;
}

static inline uint64_t rel(uint64_t t)
{
    return t > R.t_start ? t - R.t_start : 0;
}

/* Appends b to the full list (lock held). */
static void full_push(rec_block *b)
{
    b->next = NULL;
    if (R.full_tail)
        R.full_tail->next = b;
    else
        R.full = b;
    R.full_tail = b;
}

/* Thread exit (the key's destructor, on the exiting thread): its current
 * block goes to the full list. */
static void thread_gone(void *arg)
{
    rec_thread *t = arg;
    pthread_mutex_lock(&R.lock);
    if (t->cur)
        full_push(t->cur);
    t->cur = NULL;
    if (t->prev)
        t->prev->next = t->next;
    else
        R.threads = t->next;
    if (t->next)
        t->next->prev = t->prev;
    pthread_mutex_unlock(&R.lock);
    tl_rec = NULL; /* a later destructor that records registers again */
    tpool__free(t);
}

static rec_thread *self(void)
{
    rec_thread *t = tl_rec;
    if (t)
        return t;
    t = tpool__calloc(1, sizeof *t);
    if (!t)
        return NULL;
    pthread_mutex_lock(&R.lock);
    t->tid = R.next_tid++;
    t->next = R.threads;
    if (R.threads)
        R.threads->prev = t;
    R.threads = t;
    pthread_mutex_unlock(&R.lock);
    if (R.key_ok)
        pthread_setspecific(R.key, t);
    tl_rec = t;
    return t;
}

/* A new current block for t, the old one to the full list. NULL when
 * recording has stopped (the cap) or there is no memory. */
static rec_block *next_block(rec_thread *t)
{
    uint64_t had = add_relaxed(&R.bytes, sizeof(rec_block));
    if (had + sizeof(rec_block) > R.max_bytes) {
        st_relaxed(&R.capped, 1);
        uint32_t on = REC_ON;
        atomic_compare_exchange_strong(&R.state, &on, REC_STOPPED);
        return NULL;
    }
    rec_block *b = tpool__malloc(sizeof *b);
    if (!b)
        return NULL;
    b->next = NULL;
    atomic_init(&b->used, 0);
    b->flushed = 0;
    pthread_mutex_lock(&R.lock);
    if (t->cur)
        full_push(t->cur);
    t->cur = b; /* in the same section: the flusher never sees a freed block */
    pthread_mutex_unlock(&R.lock);
    return b;
}

/* Room for an event of `size` bytes in this thread's block, or NULL (the
 * event is dropped). ev_publish makes it visible. */
static void *ev_room(rec_thread *t, size_t size, rec_block **blk)
{
    rec_block *b = t->cur;
    uint32_t used = b ? ld_relaxed(&b->used) : 0;
    if (!b || used + size > BLOCK_BYTES) {
        if (!rec_on() || !(b = next_block(t)))
            return NULL;
        used = 0;
    }
    *blk = b;
    return b->data + used;
}

static inline void ev_publish(rec_block *b, size_t size)
{
    st_release(&b->used, ld_relaxed(&b->used) + (uint32_t)size);
}

/* Copies ev (whose first member is its kind) into this thread's buffer. */
static void emit(const void *ev, size_t size, tpool__a64 *dropped)
{
    rec_thread *t = self();
    rec_block *b;
    void *room = t ? ev_room(t, size, &b) : NULL;
    if (!room) {
        add_relaxed(dropped, 1);
        return;
    }
    memcpy(room, ev, size);
    ev_publish(b, size);
}

/* ---- writing ------------------------------------------------------------------ */

static void put_in(FILE *f, uint32_t kind, uint64_t id)
{
    if (kind == IN_TASK)
        fprintf(f, ",\"parent\":%" PRIu64, id);
    else if (kind == IN_CALL)
        fprintf(f, ",\"in_call\":%" PRIu64, id);
}

static void put_dims(FILE *f, const char *key, const uint64_t *v, unsigned n)
{
    fprintf(f, ",\"%s\":[", key);
    for (unsigned d = 0; d < n; d++)
        fprintf(f, "%s%" PRIu64, d ? "," : "", v[d]);
    fputc(']', f);
}

/* "cpu": the thread's CPU time and voluntary switches at the event's
 * start and end, which tell the serial time around it that ran from the
 * time it was preempted or blocked. */
static void put_cpu(FILE *f, uint32_t has, uint64_t c0, uint64_t c1, uint64_t v0, uint64_t v1)
{
    if (has)
        fprintf(f, ",\"c0\":%" PRIu64 ",\"c1\":%" PRIu64 ",\"v0\":%" PRIu64 ",\"v1\":%" PRIu64,
                c0, c1, v0, v1);
}

static void write_call(FILE *f, const ev_call *e)
{
    fprintf(f, "{\"call\":%" PRIu64 ",\"pool\":%" PRIu32 ",\"th\":%" PRIu32 ",\"api\":\"%s\"",
            e->id, e->pool, e->tid, e->api);
    put_dims(f, "range", e->range, e->ndim);
    put_dims(f, "tile", e->tile, e->ndim);
    fprintf(f, ",\"n\":%" PRIu64 ",\"work\":%" PRIu64 ",\"flags\":%" PRIu32 ",\"T\":%" PRIu32,
            e->n, e->work, e->flags, e->threads);
    if (e->priority)
        fprintf(f, ",\"prio\":%" PRId32, e->priority);
    if (e->has_cost)
        fputs(",\"cost_fn\":true", f);
    put_in(f, e->in_kind, e->in_id);
    put_cpu(f, e->has_cpu, e->c0, e->c1, e->v0, e->v1);
    fprintf(f, ",\"t0\":%" PRIu64 ",\"t1\":%" PRIu64 ",\"timed\":%s}\n", rel(e->t0),
            rel(e->t1), e->timed ? "true" : "false");
    R.n_calls++;
    R.n_timed += e->timed != 0;
}

static void write_task(FILE *f, const ev_task *e)
{
    fprintf(f, "{\"task\":%" PRIu64 ",\"pool\":%" PRIu32 ",\"th\":%" PRIu32 ",\"t\":%" PRIu64,
            e->id, e->pool, e->tid_submit, rel(e->t_submit));
    if (e->group)
        fprintf(f, ",\"group\":%" PRIu64, e->group);
    if (e->priority)
        fprintf(f, ",\"prio\":%" PRId32, e->priority);
    if (e->cost)
        fprintf(f, ",\"cost\":%" PRIu64, e->cost);
    if (e->worker >= 0)
        fprintf(f, ",\"worker\":%" PRId32, e->worker);
    put_in(f, e->in_kind, e->in_id);
    if (e->has_cpu)
        fprintf(f, ",\"tc\":%" PRIu64 ",\"tv\":%" PRIu64, e->tc, e->tv);
    if (e->cancelled) {
        fputs(",\"cancelled\":true}\n", f);
    } else {
        put_cpu(f, e->has_cpu, e->c0, e->c1, e->v0, e->v1);
        fprintf(f, ",\"run_th\":%" PRIu32 ",\"t0\":%" PRIu64 ",\"t1\":%" PRIu64 "}\n",
                e->tid_run, rel(e->t0), rel(e->t1));
    }
    R.n_tasks++;
}

static void write_wait(FILE *f, const ev_wait *e)
{
    fprintf(f, "{\"wait\":%" PRIu64, e->group);
    if (!e->group)
        fprintf(f, ",\"pool\":%" PRIu32, e->pool);
    fprintf(f, ",\"th\":%" PRIu32, e->tid);
    if (e->destroy)
        fputs(",\"destroy\":true", f);
    put_in(f, e->in_kind, e->in_id);
    put_cpu(f, e->has_cpu, e->c0, e->c1, e->v0, e->v1);
    fprintf(f, ",\"t0\":%" PRIu64 ",\"t1\":%" PRIu64 "}\n", rel(e->t0), rel(e->t1));
    R.n_waits++;
}

/* Events [from, to) of a block; consecutive chunks of one call by one
 * thread share a line. */
static void write_events(FILE *f, const rec_block *b, uint32_t from, uint32_t to)
{
    uint64_t open_call = 0;
    uint32_t open_tid = 0;
    bool open = false;
    for (uint32_t at = from; at < to;) {
        uint32_t kind;
        memcpy(&kind, b->data + at, sizeof kind);
        size_t size = ev_size(kind);
        if (!size || at + size > to)
            break; /* cannot happen: events are published whole */
        const void *e = b->data + at;
        if (kind == EV_CHUNK) {
            const ev_chunk *c = e;
            if (open && (c->call != open_call || c->tid != open_tid)) {
                fputs("]}\n", f);
                open = false;
            }
            if (!open)
                fprintf(f, "{\"tiles\":%" PRIu64 ",\"th\":%" PRIu32 ",\"c\":[", c->call,
                        c->tid);
            if (c->has_cpu)
                fprintf(f, "%s[%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu32 "]",
                        open ? "," : "", c->begin, c->n, c->ns, c->cpu, c->blocked);
            else
                fprintf(f, "%s[%" PRIu64 ",%" PRIu64 ",%" PRIu64 "]", open ? "," : "",
                        c->begin, c->n, c->ns);
            open = true;
            open_call = c->call;
            open_tid = c->tid;
            R.n_chunks++;
        } else {
            if (open) {
                fputs("]}\n", f);
                open = false;
            }
            if (kind == EV_CALL)
                write_call(f, e);
            else if (kind == EV_TASK)
                write_task(f, e);
            else
                write_wait(f, e);
        }
        at += (uint32_t)size;
    }
    if (open)
        fputs("]}\n", f);
}

/* One warning per kind and process. */
enum { WARN_OPEN, WARN_WRITE, WARN_SECOND, WARN_ENV, NWARN };
static tpool__a32 warned[NWARN];

static bool warn_first(int kind)
{
    uint32_t no = 0;
    return atomic_compare_exchange_strong(&warned[kind], &no, 1);
}

/* Where a record path came from, for messages: TPOOL_RECORD="..." or
 * SOURCE: record: "...". */
static void describe_path(char *buf, size_t size, const char *origin, const char *path)
{
    char q[96];
    tpool__env_quote(path, q, sizeof q);
    if (strcmp(origin, "TPOOL_RECORD") == 0)
        snprintf(buf, size, "TPOOL_RECORD=%s", q);
    else
        snprintf(buf, size, "%s: record: %s", origin, q);
}

/* Writes every published event (lock held). */
static void flush_locked(void)
{
    FILE *f = R.f;
    rec_block *b = R.full;
    R.full = R.full_tail = NULL;
    while (b) {
        rec_block *next = b->next;
        write_events(f, b, b->flushed, ld_acquire(&b->used));
        tpool__free(b);
        b = next;
    }
    for (rec_thread *t = R.threads; t; t = t->next) {
        if (!t->cur)
            continue;
        uint32_t used = ld_acquire(&t->cur->used);
        write_events(f, t->cur, t->cur->flushed, used);
        t->cur->flushed = used;
    }
    if (fflush(f) != 0 || ferror(f)) {
        int e = errno;
        st_relaxed(&R.state, REC_OFF);
        if (warn_first(WARN_WRITE)) {
            char what[160];
            describe_path(what, sizeof what, R.origin, R.path);
            fprintf(stderr, "tpool: %s: cannot write the record: %s; recording stops here "
                            "(this warning is printed once)\n", what, strerror(e));
        }
    }
}

static void put_end(FILE *f, uint64_t now)
{
    fprintf(f,
            "{\"end\":%" PRIu64 ",\"calls\":%" PRIu64 ",\"timed_calls\":%" PRIu64
            ",\"chunks\":%" PRIu64 ",\"tasks\":%" PRIu64 ",\"waits\":%" PRIu64
            ",\"threads\":%" PRIu32 ",\"capped\":%s,\"dropped\":{\"calls\":%" PRIu64
            ",\"chunks\":%" PRIu64 ",\"tasks\":%" PRIu64 ",\"waits\":%" PRIu64 "}}\n",
            rel(now), R.n_calls, R.n_timed, R.n_chunks, R.n_tasks, R.n_waits, R.next_tid,
            ld_relaxed(&R.capped) ? "true" : "false", ld_relaxed(&R.drop_calls),
            ld_relaxed(&R.drop_chunks), ld_relaxed(&R.drop_tasks), ld_relaxed(&R.drop_waits));
}

/* At exit: everything buffered, and the end line. Events after it are not
 * recorded (a pool destroyed by a later exit handler has no end line of
 * its own: the "end" line closes every pool). */
static void at_exit(void)
{
    pthread_mutex_lock(&R.lock);
    uint32_t s = ld_relaxed(&R.state);
    if (R.f && R.pid == getpid() && (s == REC_ON || s == REC_STOPPED)) {
        st_relaxed(&R.state, REC_STOPPED);
        flush_locked();
        if (ld_relaxed(&R.state) != REC_OFF) {
            put_end(R.f, tpool__now_ns());
            fflush(R.f);
        }
        st_relaxed(&R.state, REC_OFF);
    }
    pthread_mutex_unlock(&R.lock);
}

/* fork(): the lock is not held across it, and a child does not record. */
static void fork_prepare(void)
{
    pthread_mutex_lock(&R.lock);
}

static void fork_parent(void)
{
    pthread_mutex_unlock(&R.lock);
}

static void fork_child(void)
{
    pthread_mutex_unlock(&R.lock);
    st_relaxed(&R.state, REC_OFF);
}

/* The command line, as JSON strings (from /proc/self/cmdline). */
static json_t *cmdline(void)
{
    json_t *a = json_array();
    FILE *f = fopen("/proc/self/cmdline", "r");
    if (!a || !f) {
        if (f)
            fclose(f);
        return a;
    }
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    for (size_t at = 0; at < n && json_array_size(a) < 64; at += strlen(buf + at) + 1)
        json_array_append_new(a, json_stringn_nocheck(buf + at, strlen(buf + at)));
    return a;
}

/* Dumps o as one line and frees it. */
static void put_json(FILE *f, json_t *o)
{
    char *s = o ? tpool__json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    if (s) {
        fputs(s, f);
        fputc('\n', f);
    }
    tpool__free(s);
    json_decref(o);
}

/* The file for `path`: "%p" is this process's id; a file another process
 * is recording into (it holds the lock) gets ".PID" appended, so that
 * processes that inherit TPOOL_RECORD (--runs, fork and exec) never write
 * into one file. Returns the open stream (locked), or NULL with errno. */
static FILE *open_file(const char *path, char *real, size_t size, bool *moved)
{
    size_t n = 0;
    for (const char *s = path; *s && n + 24 < size; s++) {
        if (s[0] == '%' && s[1] == 'p') {
            n += (size_t)snprintf(real + n, size - n, "%ld", (long)getpid());
            s++;
        } else {
            real[n++] = *s;
        }
    }
    real[n] = '\0';
    *moved = false;
    for (int attempt = 0; attempt < 2; attempt++) {
        int fd = open(real, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0)
            return NULL;
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            FILE *f = ftruncate(fd, 0) == 0 ? fdopen(fd, "w") : NULL;
            if (!f) {
                int e = errno;
                close(fd);
                errno = e;
            }
            return f;
        }
        int e = errno;
        close(fd);
        if (e != EWOULDBLOCK || attempt) {
            errno = e;
            return NULL;
        }
        *moved = true;
        snprintf(real + n, size - n, ".%ld", (long)getpid());
    }
    return NULL;
}

/* Opens the record at `path` (lock held); false after a warning. */
static bool open_record(const char *path, const char *origin, const tpool_config *cfg)
{
    char real[4096];
    bool moved;
    /* Kept to compare with the paths of later pools: without it, no record. */
    char *kept_path = tpool__strdup(path);
    FILE *f = NULL;
    if (kept_path)
        f = open_file(path, real, sizeof real, &moved);
    else
        snprintf(real, sizeof real, "%s", path); /* errno: ENOMEM */
    if (!f) {
        int e = errno;
        tpool__free(kept_path);
        st_relaxed(&R.state, REC_OFF);
        if (warn_first(WARN_OPEN)) {
            char what[160];
            describe_path(what, sizeof what, origin, path);
            fprintf(stderr, "tpool: %s: cannot open the record file %s: %s; the program runs "
                            "unrecorded (this warning is printed once)\n", what, real,
                    strerror(e));
        }
        return false;
    }
    if (moved) {
        char what[160];
        describe_path(what, sizeof what, origin, path);
        fprintf(stderr, "tpool: %s: another process is recording into it; process %ld "
                        "records into %s\n", what, (long)getpid(), real);
    }
    R.path = kept_path;
    R.origin = origin; /* a static string, or the config's source, copied below */
    if (strcmp(origin, "TPOOL_RECORD") != 0) {
        char *o = tpool__strdup(origin);
        R.origin = o ? o : "the configuration";
    }
    R.f = f;
    R.pid = getpid();
    R.t_start = tpool__now_ns();
    R.max_bytes = (uint64_t)cfg->record_max_mb << 20;
    R.full_calls = cfg->record_full_calls;
    R.every = cfg->record_every ? cfg->record_every : 1;
    R.cpu = cfg->record_cpu != 0;
    R.key_ok = pthread_key_create(&R.key, thread_gone) == 0;
    char exe[1024] = "";
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    char date[32] = "";
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *h = json_pack("{s:s, s:s, s:o, s:I, s:s, s:s, s:I, s:I, s:s, s:{s:I, s:I}, s:I}",
                          "record", TPOOL_RECORD_FORMAT, "program", exe, "cmdline", cmdline(),
                          "pid", (json_int_t)R.pid, "date", date, "tpool", PACKAGE_VERSION,
                          "cpus", (json_int_t)sysconf(_SC_NPROCESSORS_ONLN),
                          "default_threads", (json_int_t)tpool_default_threads(),
                          "clock", "CLOCK_MONOTONIC, ns since the record started",
                          "sampling", "full_calls", (json_int_t)R.full_calls, "every",
                          (json_int_t)R.every, "max_mb", (json_int_t)cfg->record_max_mb);
    if (h)
        json_object_set_new(h, "cpu", json_boolean(R.cpu));
    put_json(f, h);
    fflush(f);
    atexit(at_exit);
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    st_relaxed(&R.state, REC_ON);
    return true;
}

/* ---- pools -------------------------------------------------------------------- */

static uint32_t pool_begin(struct tpool *p, const tpool_config *cfg, const char *path,
                           const char *origin);

static const tpool__rec_hooks hooks; /* at the end of the file */

/* The drop-in's names for its calls (record.h); set once, at load. */
static _Atomic(const tpool__rec_dropin *) dropin_names;

void tpool__rec_name_dropin(const tpool__rec_dropin *names)
{
    st_release(&dropin_names, names);
}

/* The pool's record id, once its line is written, or 0. */
static uint32_t pool_record_id(struct tpool *p, const tpool_config *cfg)
{
    const char *env = getenv("TPOOL_RECORD");
    if (!env && !cfg->record_path)
        return 0;
    if (env && !*env) {
        if (warn_first(WARN_ENV))
            fputs("tpool: TPOOL_RECORD is set but empty: nothing is recorded (name the record "
                  "file, or unset it; this warning is printed once)\n", stderr);
        return 0;
    }
    /* The variable wins over the configuration's "record". */
    tpool_config *mine = NULL;
    if (env) {
        tpool_error err;
        tpool_error_clear(&err);
        int rc = tpool_config_copy(cfg, &mine);
        if (rc == 0)
            rc = tpool__config_env_record(mine, env, &err);
        if (rc) {
            if (warn_first(WARN_ENV))
                fprintf(stderr, "tpool: %s; nothing is recorded (this warning is printed "
                                "once)\n", err.text[0] ? err.text : tpool_strerror(rc));
            tpool_config_free(mine);
            return 0;
        }
        cfg = mine;
    }
    uint32_t id = pool_begin(p, cfg, cfg->record_path, env ? "TPOOL_RECORD"
                                                           : cfg->source ? cfg->source
                                                                         : "<config>");
    tpool_config_free(mine);
    return id;
}

void tpool__rec_pool_begin(struct tpool *p, const tpool_config *cfg)
{
    uint32_t id = pool_record_id(p, cfg);
    if (id == 0)
        return;
    p->record.id = id;
    p->record.hooks = &hooks;
    tpool__seats_mark_recorded(p); /* calls take the slow path */
}

static uint32_t pool_begin(struct tpool *p, const tpool_config *cfg, const char *path,
                           const char *origin)
{
    pthread_mutex_lock(&R.lock);
    uint32_t s = ld_relaxed(&R.state);
    if (s == REC_IDLE && !open_record(path, origin, cfg)) {
        pthread_mutex_unlock(&R.lock);
        return 0;
    }
    if (ld_relaxed(&R.state) != REC_ON || R.pid != getpid()) {
        pthread_mutex_unlock(&R.lock);
        return 0;
    }
    if (strcmp(path, R.path) != 0 && warn_first(WARN_SECOND)) {
        char what[160], first[160];
        describe_path(what, sizeof what, origin, path);
        describe_path(first, sizeof first, R.origin, R.path);
        fprintf(stderr, "tpool: %s: this process records into %s already (one record per "
                        "process); its pools go there too (this warning is printed once)\n",
                what, first);
    }
    uint32_t id = ++R.next_pool;
    R.open_pools++;
    unsigned threads = ld_relaxed(&p->team.threads);
    json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:s, s:O?, s:I, s:I}", "pool", (json_int_t)id,
                          "t", (json_int_t)rel(tpool__now_ns()), "policy", p->team.policy.ops.name,
                          "config_policy", cfg->policy, "file", p->team.policy.path, "params",
                          cfg->params, "threads", (json_int_t)threads, "min_work_size",
                          (json_int_t)ld_relaxed(&p->mode.min_work_size));
    if (o && cfg->threads_max)
        json_object_set_new(o, "elastic",
                            json_pack("{s:I, s:I}", "min", (json_int_t)cfg->threads, "max",
                                      (json_int_t)cfg->threads_max));
    put_json(R.f, o);
    fflush(R.f);
    pthread_mutex_unlock(&R.lock);
    return id;
}

static void hook_pool_end(struct tpool *p, uint64_t t0)
{
    rec_thread *t = self();
    uint64_t t1 = tpool__now_ns();
    pthread_mutex_lock(&R.lock);
    uint32_t s = ld_relaxed(&R.state);
    if (R.f && R.pid == getpid() && (s == REC_ON || s == REC_STOPPED)) {
        flush_locked();
        fprintf(R.f, "{\"pool_end\":%" PRIu32 ",\"th\":%" PRIu32 ",\"t0\":%" PRIu64
                     ",\"t1\":%" PRIu64 "}\n",
                p->record.id, t ? t->tid : 0, rel(t0), rel(t1));
        fflush(R.f);
        R.open_pools--;
    }
    pthread_mutex_unlock(&R.lock);
}

/* ---- parallel-fors ------------------------------------------------------------------- */

typedef struct rec_wrap {
    tpool_range_fn fn;
    void *ctx;
    uint64_t call;
} rec_wrap;

/* The calling thread's CPU time, ns. (getrusage's is not used for it: the
 * kernel may derive it from ticks, and a chunk shorter than one reads 0.) */
static bool thread_cpu(uint64_t *ns)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return false;
    *ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    return true;
}

/* "cpu": chunks read the CPU time when the thread's last one took this long. */
#define CPU_CHUNK_MIN_NS 50000u

/* With "cpu": the calling thread's CPU time and voluntary context
 * switches now (*has stays 0 without "cpu" or when they cannot be read). */
static void cpu_mark(uint32_t *has, uint64_t *c, uint64_t *v)
{
    struct rusage u;
    if (!R.cpu || !thread_cpu(c) || getrusage(RUSAGE_THREAD, &u) != 0) {
        *has = 0;
        return;
    }
    *v = (uint64_t)u.ru_nvcsw;
}

/* A chunk of a timed call: timed, and recorded by the thread that ran it.
 * With "cpu", the thread's CPU time and voluntary context switches around
 * it tell time it was preempted (not the program's) from time it blocked. */
static void timed_chunk(void *arg, size_t begin, size_t end, unsigned thread)
{
    const rec_wrap *w = arg;
    rec_thread *t = self();
    if (!t) {
        w->fn(w->ctx, begin, end, thread);
        return;
    }
    uint32_t in_kind = t->in_kind;
    uint64_t in_id = t->in_id;
    t->in_kind = IN_CALL;
    t->in_id = w->call;
    struct rusage u0, u1;
    uint64_t c0 = 0, c1 = 0;
    /* Its four system calls are read around chunks that are long, as this
     * thread's last one was: short chunks are where they would cost most,
     * and least likely preempted. */
    bool cpu = R.cpu && (t->last_chunk_ns == 0 || t->last_chunk_ns >= CPU_CHUNK_MIN_NS)
               && getrusage(RUSAGE_THREAD, &u0) == 0 && thread_cpu(&c0);
    uint64_t t0 = tpool__now_ns();
    w->fn(w->ctx, begin, end, thread);
    uint64_t t1 = tpool__now_ns();
    cpu = cpu && thread_cpu(&c1) && getrusage(RUSAGE_THREAD, &u1) == 0;
    t->in_kind = in_kind;
    t->in_id = in_id;
    t->last_chunk_ns = t1 - t0 ? t1 - t0 : 1;
    ev_chunk e = { EV_CHUNK, t->tid, w->call, begin, end - begin, t1 - t0, 0, 0, cpu };
    if (cpu) {
        e.cpu = c1 - c0;
        e.blocked = u1.ru_nvcsw != u0.ru_nvcsw;
    }
    emit(&e, sizeof e, &R.drop_chunks);
}

static int hook_range(struct tpool *p, size_t n, size_t work, tpool_range_fn fn, void *ctx,
                      const tpool_range_opts *opts, void *cost_ctx)
{
    rec_thread *t = rec_on() ? self() : NULL;
    if (!t)
        return tpool__parallel_range_run(p, n, work, fn, ctx, opts, cost_ctx);
    ev_call e;
    memset(&e, 0, sizeof e);
    e.kind = EV_CALL;
    e.pool = p->record.id;
    e.id = add_relaxed(&R.next_call, 1) + 1;
    e.timed = e.id <= R.full_calls || (e.id - R.full_calls) % R.every == 0;
    e.tid = t->tid;
    e.in_kind = t->in_kind;
    e.in_id = t->in_id;
    e.n = n;
    e.work = work;
    e.flags = opts ? opts->flags : 0;
    e.priority = opts ? opts->priority : 0;
    e.has_cost = opts && opts->cost;
    e.threads = ld_relaxed(&p->team.threads);
    size_t range, tile;
    const tpool__nd *nd = tpool__nd_of(fn, ctx);
    const tpool__rec_dropin *dropin = ld_acquire(&dropin_names);
    if (nd) {
        e.api = dropin ? dropin->invoke_api(nd->invoke) : NULL;
        if (!e.api)
            e.api = "tpool_parallel_nd";
        e.ndim = nd->ndim;
        for (unsigned d = 0; d < nd->ndim; d++) {
            e.range[d] = nd->range[d];
            e.tile[d] = nd->tile[d];
        }
    } else if (dropin && (e.api = dropin->line_of(fn, ctx, &range, &tile)) != NULL) {
        e.ndim = 1;
        e.range[0] = range;
        e.tile[0] = tile;
    } else {
        e.api = "tpool_parallel_range";
        e.ndim = 1;
        e.range[0] = n;
        e.tile[0] = 1;
    }
    rec_wrap w = { fn, ctx, e.id };
    e.has_cpu = 1;
    cpu_mark(&e.has_cpu, &e.c0, &e.v0);
    e.t0 = tpool__now_ns();
    int rc = e.timed ? tpool__parallel_range_run(p, n, work, timed_chunk, &w, opts,
                                                 cost_ctx ? cost_ctx : ctx)
                     : tpool__parallel_range_run(p, n, work, fn, ctx, opts, cost_ctx);
    e.t1 = tpool__now_ns();
    cpu_mark(&e.has_cpu, &e.c1, &e.v1);
    emit(&e, sizeof e, &R.drop_calls);
    return rc;
}

/* ---- tasks ----------------------------------------------------------------------------- */

/* A recorded task: its own function, argument and completion, and its
 * event, filled at submission and when it runs. */
typedef struct rec_task {
    tpool_task_fn fn;
    void *arg;
    tpool_complete_fn done;
    ev_task ev;
} rec_task;

static void task_run(void *arg)
{
    rec_task *w = arg;
    rec_thread *t = self();
    if (!t) {
        w->fn(w->arg);
        return;
    }
    uint32_t in_kind = t->in_kind;
    uint64_t in_id = t->in_id;
    t->in_kind = IN_TASK;
    t->in_id = w->ev.id;
    cpu_mark(&w->ev.has_cpu, &w->ev.c0, &w->ev.v0);
    w->ev.t0 = tpool__now_ns();
    w->fn(w->arg);
    w->ev.t1 = tpool__now_ns();
    cpu_mark(&w->ev.has_cpu, &w->ev.c1, &w->ev.v1);
    t->in_kind = in_kind;
    t->in_id = in_id;
    w->ev.tid_run = t->tid;
}

static void task_done(void *arg, int status)
{
    rec_task *w = arg;
    if (w->done)
        w->done(w->arg, status);
    w->ev.cancelled = status == TPOOL_ECANCELED;
    if (rec_on())
        emit(&w->ev, sizeof w->ev, &R.drop_tasks);
    else
        add_relaxed(&R.drop_tasks, 1);
    tpool__free(w);
}

static void hook_submit(struct tpool *p, struct tpool__task *t)
{
    rec_thread *th = rec_on() ? self() : NULL;
    rec_task *w = th ? tpool__malloc(sizeof *w) : NULL;
    if (!w) {
        add_relaxed(&R.drop_tasks, 1);
        return;
    }
    memset(w, 0, sizeof *w);
    w->fn = t->fn;
    w->arg = t->arg;
    w->done = t->on_complete;
    ev_task *e = &w->ev;
    e->kind = EV_TASK;
    e->pool = p->record.id;
    e->id = add_relaxed(&R.next_task, 1) + 1;
    e->in_kind = th->in_kind;
    e->in_id = th->in_id;
    e->tid_submit = th->tid;
    e->group = t->group ? t->group->rec_id : 0;
    e->priority = t->pub.priority;
    e->worker = t->pub.preferred_worker;
    e->cost = t->pub.cost_hint;
    e->t_submit = t->pub.submit_ns ? t->pub.submit_ns : tpool__now_ns();
    e->has_cpu = 1;
    cpu_mark(&e->has_cpu, &e->tc, &e->tv);
    t->fn = task_run;
    t->arg = w;
    t->on_complete = task_done;
}

/* ---- groups and waits ------------------------------------------------------------------ */

static uint64_t hook_group_id(void)
{
    return add_relaxed(&R.next_group, 1) + 1;
}

typedef struct wait_mark {
    uint64_t t0, c0, v0;
    uint32_t has_cpu;
} wait_mark;

static void wait_begin(wait_mark *m)
{
    m->has_cpu = 1;
    cpu_mark(&m->has_cpu, &m->c0, &m->v0);
    m->t0 = tpool__now_ns();
}

static void emit_wait(uint32_t pool, uint64_t group, bool destroy, const wait_mark *m)
{
    uint64_t t1 = tpool__now_ns();
    rec_thread *t = rec_on() ? self() : NULL;
    if (!t)
        return;
    ev_wait e = { EV_WAIT, pool, group, t->in_id, m->t0, t1, t->in_kind, t->tid, destroy,
                  m->has_cpu, m->c0, 0, m->v0, 0 };
    cpu_mark(&e.has_cpu, &e.c1, &e.v1);
    emit(&e, sizeof e, &R.drop_waits);
}

static int hook_group_wait(struct tpool_group *g, bool destroying)
{
    wait_mark m;
    wait_begin(&m);
    int rc = tpool__group_wait(g);
    emit_wait(0, g->rec_id, destroying, &m);
    return rc;
}

static int hook_wait_all(struct tpool *p)
{
    wait_mark m;
    wait_begin(&m);
    int rc = tpool__group_wait(&p->tasks.root);
    emit_wait(p->record.id, 0, false, &m);
    return rc;
}

/* What the runtime calls (record_hooks.h). */
static const tpool__rec_hooks hooks = {
    .pool_end = hook_pool_end,
    .range = hook_range,
    .submit = hook_submit,
    .group_id = hook_group_id,
    .group_wait = hook_group_wait,
    .wait_all = hook_wait_all,
};
