/* warmstart.h: a new training run that starts from a trained model's weights (--init). */
#ifndef CONTINUO_WARMSTART_H
#define CONTINUO_WARMSTART_H
#include <stddef.h>
#include "nn.h"

/* Copies src's weights into dst (a new model of the run's spec). Tensors are matched by kind
 * and order ("lstm.weight_ih" of the second LSTM to the second LSTM's), so layers without
 * weights may differ; every tensor of each side must find its match with the same shape, and
 * the vocabulary and encoding must agree. 0, or -1 with err (naming src_name) and dst unchanged. */
int cn_warmstart(cn_model *dst, const cn_model *src, const char *src_name, char *err, size_t errlen);
#endif
