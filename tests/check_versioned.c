/* check_versioned.c - tpool__copy_versioned: a descriptor from a module
 * built against an older (or newer) header is read as a full-size copy in
 * which what the module did not declare is zero. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "versioned.h"

/* A descriptor as the ABIs write them: versions and size first, members
 * appended over time. */
typedef struct desc {
    uint32_t abi_version;
    uint32_t struct_size;
    const char *name;  /* mandatory */
    void (*fn_a)(void); /* appended later */
    uint32_t flags;    /* later still */
    void (*fn_b)(void); /* last */
} desc;

static void a(void) {}
static void b(void) {}

static const tpool__member optional[] = {
    TPOOL__MEMBER(desc, fn_a),
    TPOOL__MEMBER(desc, flags),
    TPOOL__MEMBER(desc, fn_b),
};
#define NOPT (sizeof optional / sizeof optional[0])

/* The module's bytes: every member set, then as many of them as struct_size
 * declares are copied. Bytes past struct_size are poisoned, as a module's
 * memory after a shorter struct holds anything. */
static const struct size_case {
    size_t size;
    int want_a, want_flags, want_b;
} cases[] = {
    { offsetof(desc, fn_a), 0, 0, 0 },                          /* mandatory part only */
    { offsetof(desc, fn_a) + sizeof(void (*)(void)) / 2, 0, 0, 0 }, /* half a pointer */
    { offsetof(desc, flags), 1, 0, 0 },
    { offsetof(desc, flags) + 2, 1, 0, 0 },                     /* half the flags */
    { offsetof(desc, fn_b), 1, 1, 0 },
    { offsetof(desc, fn_b) + sizeof(void (*)(void)) - 1, 1, 1, 0 },
    { sizeof(desc), 1, 1, 1 },                                   /* this header's */
};

START_TEST(test_sizes)
{
    const struct size_case *c = &cases[_i];
    unsigned char module[sizeof(desc) + 64];
    memset(module, 0xa5, sizeof module);
    desc full = { 1, (uint32_t)c->size, "x", a, 7, b };
    memcpy(module, &full, c->size);
    desc out;
    memset(&out, 0x5a, sizeof out);
    tpool__copy_versioned(&out, sizeof out, module, c->size, optional, NOPT);
    ck_assert_uint_eq(out.struct_size, c->size);
    ck_assert_ptr_eq(out.name, full.name);
    ck_assert_msg((out.fn_a == a) == c->want_a && (c->want_a || out.fn_a == NULL),
                  "size %zu: fn_a", c->size);
    ck_assert_uint_eq(out.flags, c->want_flags ? 7u : 0u);
    ck_assert_msg((out.fn_b == b) == c->want_b && (c->want_b || out.fn_b == NULL),
                  "size %zu: fn_b", c->size);
}
END_TEST

/* A module built against a newer header: its members past ours are not
 * read into ours, and ours are copied whole. */
START_TEST(test_newer_module)
{
    unsigned char module[sizeof(desc) + 32];
    memset(module, 0xa5, sizeof module);
    desc full = { 1, (uint32_t)sizeof module, "x", a, 7, b };
    memcpy(module, &full, sizeof full);
    unsigned char out[sizeof(desc) + 8];
    memset(out, 0x5a, sizeof out);
    tpool__copy_versioned(out, sizeof(desc), module, sizeof module, optional, NOPT);
    desc d;
    memcpy(&d, out, sizeof d);
    ck_assert_ptr_eq(d.fn_a, a);
    ck_assert_ptr_eq(d.fn_b, b);
    ck_assert_uint_eq(d.flags, 7u);
    for (size_t i = sizeof(desc); i < sizeof out; i++)
        ck_assert_uint_eq(out[i], 0x5a);
}
END_TEST

START_TEST(test_covers)
{
    ck_assert(!TPOOL__COVERS(desc, offsetof(desc, fn_b), fn_b));
    ck_assert(!TPOOL__COVERS(desc, sizeof(desc) - 1, fn_b));
    ck_assert(TPOOL__COVERS(desc, sizeof(desc), fn_b));
    ck_assert(TPOOL__COVERS(desc, offsetof(desc, flags) + sizeof(uint32_t), flags));
}
END_TEST

static Suite *versioned_suite(void)
{
    Suite *s = suite_create("versioned");
    TCase *tc = tcase_create("copy");
    tcase_add_loop_test(tc, test_sizes, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, test_newer_module);
    tcase_add_test(tc, test_covers);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(versioned_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
