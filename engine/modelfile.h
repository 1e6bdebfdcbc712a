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
/* The file's bytes in memory (malloc'd, *out freed by the caller): for embedding a model. */
int cn_model_to_bytes(const cn_model *m, int half, uint8_t **out, size_t *n, char *err, size_t errlen);
/* NULL with err "PATH: problem" on any defect. */
cn_model *cn_model_load(const char *path, char *err, size_t errlen);
cn_model *cn_model_load_mem(const uint8_t *buf, size_t len, const char *name, char *err, size_t errlen);

/* Where the shipped default model is: $CONTINUO_MODEL (when it names a file that exists), else
 * <binary's folder>/../presets/default.cnm (a binary in build/), else
 * <binary's folder>/../share/continuo/default.cnm (an installed binary).
 * Returns buf holding a path that exists, or NULL. */
const char *cn_default_model_path(char *buf, size_t len);

/* ---- added by the model-file work (existing signatures above unchanged) ---- */
#define CN_DEFAULT_MODEL_NAME "default.cnm"
/* DIR/default.cnm when it exists (the LV2 bundle passes its own folder). buf or NULL. */
const char *cn_default_model_in(const char *dir, char *buf, size_t len);

/* What the file itself holds beyond the model: for continuo-info. */
typedef struct {
    uint32_t version;
    uint64_t file_bytes;
    int n_f32, n_f16;                 /* tensors stored in each dtype */
    uint8_t dtype[CN_MAX_TENSORS];    /* per model tensor index: 0 = float32, 1 = float16 */
} cn_model_file_stats;
/* cn_model_load, also filling *st (may be NULL). */
cn_model *cn_model_load_stats(const char *path, cn_model_file_stats *st, char *err, size_t errlen);
#endif
