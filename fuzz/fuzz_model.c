/* fuzz_model.c: libFuzzer target for the model loader and the streaming step. The input's
 * header length (bytes 12..19) and trailing CRC-32 are fixed up first, so mutations reach the
 * parsing past the checksum instead of dying on it; a model that loads is then run for a few
 * stream steps in float32, float16 and int8, on tokens taken from the input (some outside the
 * vocabulary). Every refusal must name the file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "crc32.h"
#include "modelfile.h"
#include "nn.h"

#define REQUIRE(c) do { if (!(c)) { fprintf(stderr, "fuzz_model: property failed: %s\n", #c); abort(); } } while (0)
#define STEPS 12

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *b = malloc(size ? size : 1);
    if (!b) return 0;
    if (size) memcpy(b, data, size);
    if (size >= 24) {
        for (int i = 0; i < 8; i++) b[12 + i] = (uint8_t)((uint64_t)size >> (8 * i));
        uint32_t c = cn_crc32(0, b, size - 4);
        for (int i = 0; i < 4; i++) b[size - 4 + i] = (uint8_t)(c >> (8 * i));
    }
    char err[512];
    cn_model *m = cn_model_load_mem(b, size, "fuzz.cnm", err, sizeof err);
    if (!m) {
        REQUIRE(strncmp(err, "fuzz.cnm: ", 10) == 0);
        free(b);
        return 0;
    }
    for (int wf = CN_W_F32; wf <= CN_W_I8; wf++) {
        cn_stream *s = cn_stream_new(m, (cn_weight_format)wf);
        if (!s) continue;   /* out of memory only */
        for (int k = 0; k < STEPS; k++) {
            int tok = (int)(size > 0 ? b[(size_t)k * 7 % size] : 0) * 3 - 16;
            const float *logits = cn_stream_step(s, tok);
            REQUIRE(logits != NULL);
            volatile float sink = 0;
            for (int v = 0; v < m->vocab; v++) sink += logits[v];
            (void)sink;
        }
        cn_stream_free(s);
    }
    cn_model_free(m);
    free(b);
    return 0;
}
