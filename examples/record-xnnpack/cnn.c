/*
 * cnn.c - a small convolutional network run with XNNPACK, a real
 * pthreadpool client: built against Debian's xnnpack.h and pthreadpool.h
 * and linked against Debian's libXNNPACK and libpthreadpool, as a program
 * packaged for Debian would be, so that it runs on tpool only through the
 * drop-in libpthreadpool.so.0 (LD_LIBRARY_PATH), unmodified.
 *
 *   cnn [THREADS [INFERENCES]]   (THREADS 0: pthreadpool's default)
 *
 * The network (NHWC, f32): 56x56x16 -> 3x3 conv 32 + ReLU -> 3x3 conv 64
 * stride 2 + ReLU -> 1x1 conv 64 + ReLU -> global average pool -> fully
 * connected 10. Weights and input are drawn from a fixed seed. Every
 * inference's output is compared with the same network run without a
 * thread pool (XNNPACK then runs each operator on the caller), which
 * computes every output element with the same kernels: any tile the pool
 * skipped or ran twice on shared state shows. Prints the time per inference
 * and "result: ok".
 */
#include <math.h>
#include <pthreadpool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xnnpack.h>

#define H 56
#define W 56
#define C0 16
#define C1 32
#define C2 64
#define H2 28
#define W2 28
#define CLASSES 10

typedef struct net {
    xnn_operator_t conv1, conv2, conv3, pool, fc;
    float *x, *a1, *a2, *a3, *p, *y;
} net;

static float *weights(size_t n, unsigned *seed, float scale)
{
    float *w = malloc(n * sizeof *w);
    for (size_t i = 0; w && i < n; i++) {
        *seed = *seed * 1103515245u + 12345u;
        w[i] = scale * ((float)((*seed >> 8) & 0xffff) / 32768.0f - 1.0f);
    }
    return w;
}

#define CHECK(call)                                                                       \
    do {                                                                                  \
        enum xnn_status st_ = (call);                                                     \
        if (st_ != xnn_status_success) {                                                  \
            fprintf(stderr, "cnn: %s failed (status %d)\n", #call, (int)st_);             \
            exit(1);                                                                      \
        }                                                                                 \
    } while (0)

static void net_create(net *n, unsigned seed)
{
    float *k1 = weights(C1 * 3 * 3 * C0, &seed, 0.2f), *b1 = weights(C1, &seed, 0.1f);
    float *k2 = weights(C2 * 3 * 3 * C1, &seed, 0.1f), *b2 = weights(C2, &seed, 0.1f);
    float *k3 = weights(C2 * C2, &seed, 0.1f), *b3 = weights(C2, &seed, 0.1f);
    float *kf = weights(CLASSES * C2, &seed, 0.1f), *bf = weights(CLASSES, &seed, 0.1f);
    CHECK(xnn_create_convolution2d_nhwc_f32(1, 1, 1, 1, 3, 3, 1, 1, 1, 1, 1, C0, C1, C0, C1, k1,
                                            b1, 0.0f, INFINITY, 0, &n->conv1));
    CHECK(xnn_create_convolution2d_nhwc_f32(1, 1, 1, 1, 3, 3, 2, 2, 1, 1, 1, C1, C2, C1, C2, k2,
                                            b2, 0.0f, INFINITY, 0, &n->conv2));
    CHECK(xnn_create_convolution2d_nhwc_f32(0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, C2, C2, C2, C2, k3,
                                            b3, 0.0f, INFINITY, 0, &n->conv3));
    CHECK(xnn_create_global_average_pooling_nwc_f32(C2, C2, C2, -INFINITY, INFINITY, 0,
                                                    &n->pool));
    CHECK(xnn_create_fully_connected_nc_f32(C2, CLASSES, C2, CLASSES, kf, bf, -INFINITY,
                                            INFINITY, 0, &n->fc));
    /* XNNPACK packs the weights at creation: the buffers may go */
    free(k1), free(b1), free(k2), free(b2), free(k3), free(b3), free(kf), free(bf);
    n->x = weights(H * W * C0, &seed, 1.0f);
    n->a1 = malloc(H * W * C1 * sizeof(float) + XNN_EXTRA_BYTES);
    n->a2 = malloc(H2 * W2 * C2 * sizeof(float) + XNN_EXTRA_BYTES);
    n->a3 = malloc(H2 * W2 * C2 * sizeof(float) + XNN_EXTRA_BYTES);
    n->p = malloc(C2 * sizeof(float) + XNN_EXTRA_BYTES);
    n->y = malloc(CLASSES * sizeof(float));
    if (!n->x || !n->a1 || !n->a2 || !n->a3 || !n->p || !n->y) {
        fprintf(stderr, "cnn: out of memory\n");
        exit(1);
    }
}

static void net_run(net *n, pthreadpool_t tp)
{
    CHECK(xnn_setup_convolution2d_nhwc_f32(n->conv1, 1, H, W, n->x, n->a1, tp));
    CHECK(xnn_run_operator(n->conv1, tp));
    CHECK(xnn_setup_convolution2d_nhwc_f32(n->conv2, 1, H, W, n->a1, n->a2, tp));
    CHECK(xnn_run_operator(n->conv2, tp));
    CHECK(xnn_setup_convolution2d_nhwc_f32(n->conv3, 1, H2, W2, n->a2, n->a3, tp));
    CHECK(xnn_run_operator(n->conv3, tp));
    CHECK(xnn_setup_global_average_pooling_nwc_f32(n->pool, 1, H2 * W2, n->a3, n->p, tp));
    CHECK(xnn_run_operator(n->pool, tp));
    CHECK(xnn_setup_fully_connected_nc_f32(n->fc, 1, n->p, n->y, tp));
    CHECK(xnn_run_operator(n->fc, tp));
}

static void net_free(net *n)
{
    xnn_delete_operator(n->conv1);
    xnn_delete_operator(n->conv2);
    xnn_delete_operator(n->conv3);
    xnn_delete_operator(n->pool);
    xnn_delete_operator(n->fc);
    free(n->x), free(n->a1), free(n->a2), free(n->a3), free(n->p), free(n->y);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    size_t threads = argc > 1 ? strtoul(argv[1], NULL, 10) : 0;
    long inferences = argc > 2 ? strtol(argv[2], NULL, 10) : 20;
    CHECK(xnn_initialize(NULL));
    net n, ref;
    net_create(&n, 42);
    net_create(&ref, 42);
    net_run(&ref, NULL); /* the reference: no pool */

    pthreadpool_t tp = pthreadpool_create(threads);
    if (!tp) {
        fprintf(stderr, "cnn: pthreadpool_create(%zu) failed\n", threads);
        return 1;
    }
    printf("threads: %zu\n", pthreadpool_get_threads_count(tp));
    int ok = 1;
    double t0 = now_s();
    for (long i = 0; i < inferences; i++) {
        memset(n.y, 0xff, CLASSES * sizeof(float)); /* NaN: a skipped tile shows */
        net_run(&n, tp);
        ok &= memcmp(n.y, ref.y, CLASSES * sizeof(float)) == 0;
    }
    double t1 = now_s();
    pthreadpool_destroy(tp);
    printf("inferences: %ld, %.3f ms each\n", inferences, (t1 - t0) * 1e3 / (double)inferences);
    printf("class scores: %.4f %.4f %.4f ...\n", n.y[0], n.y[1], n.y[2]);
    printf("result: %s\n", ok ? "ok" : "WRONG (differs from the run without a pool)");
    net_free(&n);
    net_free(&ref);
    xnn_deinitialize();
    return ok ? 0 : 1;
}
