/* optim.c: Adam and RMSprop with global-norm gradient clipping (see optim.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "optim.h"

int cn_optim_parse(const char *name, int *kind) {
    if (strcmp(name, "adam") == 0) *kind = CN_OPT_ADAM;
    else if (strcmp(name, "rmsprop") == 0) *kind = CN_OPT_RMSPROP;
    else return -1;
    return 0;
}

const char *cn_optim_name(int kind) { return kind == CN_OPT_RMSPROP ? "rmsprop" : "adam"; }

int cn_optim_init(cn_optim *o, int kind, size_t n, float lr, float clip) {
    memset(o, 0, sizeof *o);
    if (kind != CN_OPT_ADAM && kind != CN_OPT_RMSPROP) return -1;
    o->kind = kind; o->n = n; o->lr = lr; o->clip = clip;
    o->v = calloc(n ? n : 1, sizeof(float));
    if (kind == CN_OPT_ADAM) o->m = calloc(n ? n : 1, sizeof(float));
    if (!o->v || (kind == CN_OPT_ADAM && !o->m)) { cn_optim_free(o); return -1; }
    return 0;
}

void cn_optim_free(cn_optim *o) {
    free(o->m); free(o->v);
    o->m = o->v = NULL;
}

int cn_optim_step(cn_optim *o, float *params, const float *grads, float lr) {
    double ss = 0;
    for (size_t i = 0; i < o->n; i++) ss += (double)grads[i] * grads[i];
    o->last_norm = sqrt(ss);
    if (!isfinite(o->last_norm)) return -1;
    float scale = o->clip > 0 && o->last_norm > o->clip ? (float)(o->clip / o->last_norm) : 1.0f;
    o->t++;
    if (o->kind == CN_OPT_ADAM) {
        const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
        float c1 = 1.0f / (1.0f - powf(b1, (float)o->t));
        float c2 = 1.0f / (1.0f - powf(b2, (float)o->t));
        for (size_t i = 0; i < o->n; i++) {
            float g = grads[i] * scale;
            o->m[i] = b1 * o->m[i] + (1.0f - b1) * g;
            o->v[i] = b2 * o->v[i] + (1.0f - b2) * g * g;
            params[i] -= lr * (o->m[i] * c1) / (sqrtf(o->v[i] * c2) + eps);
        }
    } else {
        const float rho = 0.9f, eps = 1e-7f;
        for (size_t i = 0; i < o->n; i++) {
            float g = grads[i] * scale;
            o->v[i] = rho * o->v[i] + (1.0f - rho) * g * g;
            params[i] -= lr * g / (sqrtf(o->v[i]) + eps);
        }
    }
    return 0;
}

int cn_optim_arrays(cn_optim *o, cn_ckpt_array *arr, int max) {
    int k = 0;
    if (o->kind == CN_OPT_ADAM && k < max) {
        memset(&arr[k], 0, sizeof arr[k]);
        strcpy(arr[k].name, "adam.m"); arr[k].data = o->m; arr[k].n = o->n; k++;
    }
    if (k < max) {
        memset(&arr[k], 0, sizeof arr[k]);
        strcpy(arr[k].name, o->kind == CN_OPT_ADAM ? "adam.v" : "rmsprop.v");
        arr[k].data = o->v; arr[k].n = o->n; k++;
    }
    return k;
}

static const cn_ckpt_array *find(const cn_ckpt_array *arr, int n, const char *name, size_t want) {
    for (int i = 0; i < n; i++)
        if (strcmp(arr[i].name, name) == 0 && arr[i].n == want && arr[i].data) return &arr[i];
    return NULL;
}

int cn_optim_restore(cn_optim *o, const cn_ckpt_array *arr, int n_arr, uint64_t step) {
    const cn_ckpt_array *v = find(arr, n_arr, o->kind == CN_OPT_ADAM ? "adam.v" : "rmsprop.v", o->n);
    const cn_ckpt_array *m = o->kind == CN_OPT_ADAM ? find(arr, n_arr, "adam.m", o->n) : NULL;
    if (!v || (o->kind == CN_OPT_ADAM && !m)) return -1;
    memcpy(o->v, v->data, o->n * sizeof(float));
    if (m) memcpy(o->m, m->data, o->n * sizeof(float));
    o->t = step;
    return 0;
}
