/* spsc.h: a lock-free single-producer/single-consumer ring of fixed-size items, for
 * joining the real-time thread to the inference thread. The storage is given at init
 * (no allocation); capacity must be a power of two. One thread pushes, one pops. */
#ifndef CONTINUO_SPSC_H
#define CONTINUO_SPSC_H
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    _Atomic size_t head;   /* next slot to write; owned by the producer */
    _Atomic size_t tail;   /* next slot to read; owned by the consumer */
    size_t mask, item_size;
    unsigned char *buf;
} cn_spsc;

static inline int cn_spsc_init(cn_spsc *q, void *storage, size_t capacity, size_t item_size) {
    if (capacity == 0 || (capacity & (capacity - 1))) return -1;
    atomic_init(&q->head, 0); atomic_init(&q->tail, 0);
    q->mask = capacity - 1; q->item_size = item_size; q->buf = (unsigned char *)storage;
    return 0;
}
/* 1 if pushed, 0 if full */
static inline int cn_spsc_push(cn_spsc *q, const void *item) {
    size_t h = atomic_load_explicit(&q->head, memory_order_relaxed);
    size_t t = atomic_load_explicit(&q->tail, memory_order_acquire);
    if (h - t > q->mask) return 0;
    memcpy(q->buf + (h & q->mask) * q->item_size, item, q->item_size);
    atomic_store_explicit(&q->head, h + 1, memory_order_release);
    return 1;
}
/* 1 if popped, 0 if empty */
static inline int cn_spsc_pop(cn_spsc *q, void *item) {
    size_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
    size_t h = atomic_load_explicit(&q->head, memory_order_acquire);
    if (t == h) return 0;
    memcpy(item, q->buf + (t & q->mask) * q->item_size, q->item_size);
    atomic_store_explicit(&q->tail, t + 1, memory_order_release);
    return 1;
}
/* Look at the oldest item without taking it (consumer only). */
static inline const void *cn_spsc_peek(cn_spsc *q) {
    size_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
    size_t h = atomic_load_explicit(&q->head, memory_order_acquire);
    return t == h ? NULL : q->buf + (t & q->mask) * q->item_size;
}
static inline size_t cn_spsc_count(cn_spsc *q) {
    return atomic_load_explicit(&q->head, memory_order_acquire) - atomic_load_explicit(&q->tail, memory_order_acquire);
}
#endif
