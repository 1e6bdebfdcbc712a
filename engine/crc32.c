/* crc32.c: CRC-32 with the reflected polynomial 0xEDB88320, the same value zlib's crc32()
 * gives, so a model file can be checked with standard tools. Bytewise over a table built
 * at compile time: no hidden state to initialise. */
#include "crc32.h"

#define CRC_P 0xEDB88320u
#define CRC_B(c) ((c) & 1u ? ((c) >> 1) ^ CRC_P : (c) >> 1)
#define CRC_8(c) CRC_B(CRC_B(CRC_B(CRC_B(CRC_B(CRC_B(CRC_B(CRC_B((uint32_t)(c)))))))))
#define CRC_R4(n) CRC_8(n), CRC_8((n) + 1), CRC_8((n) + 2), CRC_8((n) + 3)
#define CRC_R16(n) CRC_R4(n), CRC_R4((n) + 4), CRC_R4((n) + 8), CRC_R4((n) + 12)
#define CRC_R64(n) CRC_R16(n), CRC_R16((n) + 16), CRC_R16((n) + 32), CRC_R16((n) + 48)

static const uint32_t crc_table[256] = { CRC_R64(0), CRC_R64(64), CRC_R64(128), CRC_R64(192) };

uint32_t cn_crc32(uint32_t crc, const void *buf, size_t len) {
    const unsigned char *p = buf;
    crc = ~crc;
    for (size_t i = 0; i < len; i++) crc = crc_table[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
    return ~crc;
}
