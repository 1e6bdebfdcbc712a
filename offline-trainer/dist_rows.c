/* dist_rows.c: how a global batch is cut between ranks (see dist.h). */
#include "dist.h"

void cn_dist_rows(int B, int rank, int size, int *lo, int *n) {
    /* as nn_batch.c cuts shards: the first B % size parts take one row more */
    int base = B / size, extra = B % size;
    *n = base + (rank < extra);
    *lo = rank * base + (rank < extra ? rank : extra);
}
