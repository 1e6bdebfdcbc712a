/* crc32.h: CRC-32 (IEEE 802.3, the zlib/PNG polynomial), for the model file's checksum.
 * Incremental: start with crc = 0 and feed the bytes in pieces. */
#ifndef CONTINUO_CRC32_H
#define CONTINUO_CRC32_H
#include <stddef.h>
#include <stdint.h>
uint32_t cn_crc32(uint32_t crc, const void *buf, size_t len);
#endif
