/* history.c: the per-epoch log and its CSV form (the SVG plot is in plot.c). */
#include <math.h>
#include <stdlib.h>
#include "atomicfile.h"
#include "history.h"

int cn_history_add(cn_history *h, const cn_epoch_row *row) {
    if (h->n == h->cap) {
        int cap = h->cap ? h->cap * 2 : 64;
        cn_epoch_row *nr = realloc(h->rows, (size_t)cap * sizeof *nr);
        if (!nr) return -1;
        h->rows = nr; h->cap = cap;
    }
    h->rows[h->n++] = *row;
    return 0;
}

void cn_history_free(cn_history *h) {
    free(h->rows);
    h->rows = NULL; h->n = h->cap = 0;
}

static void field(FILE *f, double v, const char *fmt) {
    fputc(',', f);
    if (isfinite(v)) fprintf(f, fmt, v);
}

int cn_history_write_csv(const cn_history *h, const char *path, char *err, size_t errlen) {
    cn_afile a;
    if (cn_afile_open(&a, path, err, errlen)) return -1;
    fprintf(a.f, "epoch,train_loss,val_loss,val_accuracy,seconds\n");
    for (int i = 0; i < h->n; i++) {
        const cn_epoch_row *r = &h->rows[i];
        fprintf(a.f, "%d", r->epoch);
        field(a.f, r->train_loss, "%.6f");
        field(a.f, r->val_loss, "%.6f");
        field(a.f, r->val_acc, "%.6f");
        field(a.f, r->seconds, "%.1f");
        fputc('\n', a.f);
    }
    return cn_afile_commit(&a, err, errlen);
}
