/* modelfile.h: the model file (.cnm). One little-endian file:
 *   magic "CNTMODEL", version, header lengths; the spec text; the encoding name and its
 *   vocabulary; the metadata pairs; the named tensors (name, shape, dtype f32 or f16, data);
 *   a CRC-32 over everything before it.
 * Loading trusts no size read from the file and checks everything before use: truncation,
 * magic, version, checksum, NaN/Inf weights, tensors that disagree with the spec, an unknown
 * encoding. Saving is atomic: temp file, fsync, rename. */
#ifndef CONTINUO_MODELFILE_H
#define CONTINUO_MODELFILE_H
#include <stddef.h>
#include <stdint.h>
#include "nn.h"

#define CN_MODEL_MAGIC   "CNTMODEL"
#define CN_MODEL_VERSION 1

/* half = 1 stores weights as float16 (half the size; read back as float32). 0 or -1 with err. */
int cn_model_save(const char *path, const cn_model *m, int half, char *err, size_t errlen);
/* NULL with err "PATH: problem" on any defect. */
cn_model *cn_model_load(const char *path, char *err, size_t errlen);
cn_model *cn_model_load_mem(const uint8_t *buf, size_t len, const char *name, char *err, size_t errlen);

/* Where the shipped default model is: $CONTINUO_MODEL, else the installed copy, else presets/
 * next to the running binary's build folder. Returns a path that exists, or NULL. */
const char *cn_default_model_path(char *buf, size_t len);
#endif
