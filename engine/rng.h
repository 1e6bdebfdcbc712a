/* rng.h: the one random generator (splitmix64 seeding a xorshift* state), header-only
 * so that every user carries its own state explicitly and results repeat by seed. */
#ifndef CONTINUO_RNG_H
#define CONTINUO_RNG_H
#include <stdint.h>
static inline uint64_t cn_rng_seed(uint64_t seed) {
    uint64_t z = seed + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return z ? z : 0x2545F4914F6CDD1Dull;
}
static inline uint64_t cn_rng_next(uint64_t *s) {
    uint64_t x = *s;
    x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}
/* uniform in [0,1) */
static inline float cn_rng_uniform(uint64_t *s) { return (float)(cn_rng_next(s) >> 40) * (1.0f / 16777216.0f); }
static inline double cn_rng_uniform_d(uint64_t *s) { return (double)(cn_rng_next(s) >> 11) * (1.0 / 9007199254740992.0); }
#endif
