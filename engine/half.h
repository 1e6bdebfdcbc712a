/* half.h: IEEE 754 binary16 <-> float32 conversion, header-only. The model file can store
 * weights as float16 to halve its size; loading widens them back to float32.
 * Narrowing rounds to nearest, ties to even, keeps subnormals, and sends values beyond the
 * float16 range to infinity (the caller decides whether that is an error). */
#ifndef CONTINUO_HALF_H
#define CONTINUO_HALF_H
#include <stdint.h>
#include <string.h>

#define CN_HALF_MAX 65504.0f

static inline uint16_t cn_f32_to_f16(float f) {
    uint32_t x; memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t exp = (x >> 23) & 0xFFu;
    uint32_t man = x & 0x7FFFFFu;
    if (exp == 0xFFu)                          /* Inf, or NaN kept quiet and non-zero */
        return (uint16_t)(sign | 0x7C00u | (man ? 0x200u | (man >> 13) : 0u));
    int e = (int)exp - 127 + 15;               /* rebiased exponent */
    if (e >= 31) return (uint16_t)(sign | 0x7C00u);
    if (e <= 0) {                              /* subnormal half, or zero */
        if (e < -10) return (uint16_t)sign;
        man |= 0x800000u;                      /* the implicit bit */
        int shift = 14 - e;                    /* 14..24 */
        uint32_t h = man >> shift;
        uint32_t rem = man & ((1u << shift) - 1u), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1u))) h++;
        return (uint16_t)(sign | h);          /* a carry into the exponent is still right */
    }
    uint32_t h = ((uint32_t)e << 10) | (man >> 13);
    uint32_t rem = man & 0x1FFFu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) h++;  /* may carry to Inf: correct */
    return (uint16_t)(sign | h);
}

static inline float cn_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1Fu;
    uint32_t man = h & 0x3FFu;
    uint32_t x;
    if (exp == 0) {
        if (man == 0) x = sign;
        else {                                 /* subnormal: normalise */
            int e = -1;
            do { man <<= 1; e++; } while (!(man & 0x400u));
            x = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3FFu) << 13);
        }
    } else if (exp == 31) {
        x = sign | 0x7F800000u | (man << 13);
    } else {
        x = sign | ((exp - 15 + 127) << 23) | (man << 13);
    }
    float f; memcpy(&f, &x, 4);
    return f;
}
#endif
