/* test_bytebuf.c: the growable byte buffer (engine/bytebuf.h): it grows from empty through
 * many doublings with every byte kept in order; printf appends text and keeps it a C string,
 * also when one call outgrows the buffer; and an allocation that cannot be had (a size past
 * SIZE_MAX, or one the allocator refuses) sets oom, drops every later write and leaves what
 * came before intact. */
#include <stdint.h>
#include <string.h>
#include "bytebuf.h"
#include "test.h"

/* ASan would abort on an absurd allocation; the test wants the NULL that malloc returns. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }

TEST(grows_and_keeps_contents) {
    cn_bytebuf b = { 0 };
    CHECK(b.p == NULL && b.n == 0);
    size_t caps_seen = 0, last_cap = 0;
    for (uint32_t i = 0; i < 100000; i++) {
        uint8_t x[3] = { (uint8_t)i, (uint8_t)(i >> 8), (uint8_t)(i * 7) };
        if (i % 5 == 0) cn_bytebuf_byte(&b, x[0]);
        else cn_bytebuf_put(&b, x, 3);
        if (b.cap != last_cap) { caps_seen++; last_cap = b.cap; }
    }
    CHECK(!b.oom);
    CHECK(b.n == 20000 * 1 + 80000 * 3);
    CHECK(b.cap >= b.n);
    CHECKF(caps_seen >= 10 && caps_seen <= 20, "%zu capacities", caps_seen);   /* doubling, not a step a write */
    size_t at = 0;
    int same = 1;
    for (uint32_t i = 0; i < 100000 && same; i++) {
        uint8_t x[3] = { (uint8_t)i, (uint8_t)(i >> 8), (uint8_t)(i * 7) };
        size_t k = i % 5 == 0 ? 1 : 3;
        same = memcmp(b.p + at, x, k) == 0;
        at += k;
    }
    CHECK(same && at == b.n);
    cn_bytebuf_put(&b, NULL, 0);   /* nothing to add is no write */
    CHECK(b.n == at && !b.oom);
    cn_bytebuf_free(&b);
    CHECK(b.p == NULL && b.n == 0 && b.cap == 0);
}

TEST(printf_appends_a_c_string) {
    cn_bytebuf b = { 0 };
    cn_bytebuf_printf(&b, "%s=%d;", "a", 1);
    CHECK(b.n == 4 && !strcmp((char *)b.p, "a=1;"));
    char big[1000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    cn_bytebuf_printf(&b, "[%s]", big);   /* past the first capacity in one call */
    CHECK(b.n == 4 + 1001 && !b.oom);
    CHECK(!memcmp(b.p, "a=1;[x", 6) && b.p[b.n - 1] == ']' && b.p[b.n] == 0);
    cn_bytebuf_put(&b, "yz", 2);
    cn_bytebuf_printf(&b, "%c", '!');
    CHECK(b.n == 1005 + 3 && !memcmp(b.p + 1005, "yz!", 4));   /* with its NUL */
    cn_bytebuf_free(&b);
}

TEST(failed_allocation_is_sticky_and_keeps_what_came_before) {
    cn_bytebuf b = { 0 };
    cn_bytebuf_put(&b, "hello", 5);
    CHECK(cn_bytebuf_reserve(&b, SIZE_MAX - 2) == -1);   /* n + more overflows */
    CHECK(b.oom && b.n == 5 && !memcmp(b.p, "hello", 5));
    cn_bytebuf_put(&b, "more", 4);
    cn_bytebuf_byte(&b, '!');
    cn_bytebuf_printf(&b, "%d", 42);
    CHECK(b.n == 5 && !memcmp(b.p, "hello", 5));
    CHECK(cn_bytebuf_reserve(&b, 1) == -1);
    cn_bytebuf_free(&b);
    CHECK(!b.oom);

    cn_bytebuf_put(&b, "abc", 3);   /* a size the allocator refuses (2^62 bytes) */
    CHECK(cn_bytebuf_reserve(&b, (size_t)1 << 62) == -1);
    CHECK(b.oom && b.n == 3 && b.p && !memcmp(b.p, "abc", 3));
    cn_bytebuf_free(&b);
}

int main(void) {
    RUN(grows_and_keeps_contents);
    RUN(printf_appends_a_c_string);
    RUN(failed_allocation_is_sticky_and_keeps_what_came_before);
    return test_summary();
}
