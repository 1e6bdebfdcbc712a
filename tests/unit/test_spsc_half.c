/* test_spsc_half.c: the two small headers the engine builds on, tested directly.
 *   spsc.h: capacity must be a power of two; full and empty are reported; items come out in
 *   order across wrap-around; peek does not take; and a producer and a consumer thread pass
 *   200,000 sequence numbers through a small ring with none lost, doubled or reordered
 *   (run under ASan+UBSan; ThreadSanitizer is not in the build).
 *   half.h: float16 round trips: exact for every float16 value, round-to-nearest-even in
 *   between, signed zero, subnormals, overflow to infinity, NaN stays NaN. */
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include "half.h"
#include "spsc.h"
#include "test.h"

TEST(spsc_capacity_full_empty_order) {
    uint32_t store[8];
    cn_spsc q;
    CHECK(cn_spsc_init(&q, store, 6, sizeof(uint32_t)) == -1);
    CHECK(cn_spsc_init(&q, store, 0, sizeof(uint32_t)) == -1);
    CHECK(cn_spsc_init(&q, store, 8, sizeof(uint32_t)) == 0);
    uint32_t v = 0;
    CHECK(cn_spsc_pop(&q, &v) == 0 && cn_spsc_peek(&q) == NULL && cn_spsc_count(&q) == 0);
    for (uint32_t round = 0; round < 5; round++) {   /* 5 x 8 items: the indices wrap */
        for (uint32_t i = 0; i < 8; i++) { uint32_t x = round * 100 + i; CHECK(cn_spsc_push(&q, &x) == 1); }
        uint32_t extra = 999;
        CHECK(cn_spsc_push(&q, &extra) == 0);   /* full */
        CHECK(cn_spsc_count(&q) == 8);
        const uint32_t *front = cn_spsc_peek(&q);
        CHECK(front && *front == round * 100);
        CHECK(cn_spsc_count(&q) == 8);          /* peek took nothing */
        for (uint32_t i = 0; i < 8; i++) { CHECK(cn_spsc_pop(&q, &v) == 1); CHECK(v == round * 100 + i); }
        CHECK(cn_spsc_pop(&q, &v) == 0);
    }
}

#define N_PASS 200000u
typedef struct { cn_spsc *q; uint32_t bad, got; } consumer;

static void *consume(void *arg) {
    consumer *c = arg;
    uint32_t want = 0, v;
    while (want < N_PASS) {
        if (!cn_spsc_pop(c->q, &v)) { sched_yield(); continue; }   /* a loaded machine: let the producer run */
        if (v != want) c->bad++;
        want = v + 1;
        c->got++;
    }
    return NULL;
}

TEST(spsc_two_threads_lose_nothing) {
    static uint32_t store[16];
    cn_spsc q;
    CHECK(cn_spsc_init(&q, store, 16, sizeof(uint32_t)) == 0);
    consumer c = { &q, 0, 0 };
    pthread_t th;
    CHECK(pthread_create(&th, NULL, consume, &c) == 0);
    for (uint32_t i = 0; i < N_PASS; i++)
        while (!cn_spsc_push(&q, &i)) sched_yield();
    pthread_join(th, NULL);
    CHECKF(c.bad == 0 && c.got == N_PASS, "%u out of order, %u received of %u", c.bad, c.got, N_PASS);
}

TEST(half_round_trips_and_edges) {
    /* every finite float16 comes back exactly */
    int mismatches = 0;
    for (uint32_t h = 0; h < 0x10000; h++) {
        if ((h & 0x7c00) == 0x7c00) continue;   /* inf and NaN below */
        float f = cn_f16_to_f32((uint16_t)h);
        if (cn_f32_to_f16(f) != (uint16_t)h) mismatches++;
    }
    CHECKF(mismatches == 0, "%d float16 values did not round-trip", mismatches);
    CHECK(cn_f16_to_f32(0x3c00) == 1.0f && cn_f16_to_f32(0xc000) == -2.0f);
    CHECK(cn_f32_to_f16(65504.0f) == 0x7bff);                 /* the largest float16 */
    CHECK(cn_f32_to_f16(1e6f) == 0x7c00 && cn_f32_to_f16(-1e6f) == 0xfc00);   /* overflow: infinity */
    CHECK(cn_f32_to_f16(-0.0f) == 0x8000);
    CHECK(cn_f16_to_f32(0x0001) == ldexpf(1.0f, -24));        /* the smallest subnormal */
    CHECK(cn_f32_to_f16(ldexpf(1.0f, -26)) == 0x0000);        /* under half of it: zero */
    /* halfway between 1 and the next float16 (1 + 2^-10): to the even one, 1 */
    CHECK(cn_f32_to_f16(1.0f + ldexpf(1.0f, -11)) == 0x3c00);
    CHECK(cn_f32_to_f16(1.0f + 3 * ldexpf(1.0f, -11)) == 0x3c02);
    CHECK(isnan(cn_f16_to_f32(cn_f32_to_f16(NAN))));
    CHECK(isinf(cn_f16_to_f32(0x7c00)));
}

int main(void) {
    RUN(spsc_capacity_full_empty_order);
    RUN(spsc_two_threads_lose_nothing);
    RUN(half_round_trips_and_edges);
    return test_summary();
}
