/* dist_none.c: continuo-train without MPI (see dist.h). It refuses to run as one of many
 * ranks under mpirun, where every copy would train alone and overwrite the same files, and
 * says which program to use instead. continuo-train-mpi links mpi/dist_mpi.c, which defines
 * cn_dist_start itself, so this object is not pulled out of the library there. */
#include <stdio.h>
#include <stdlib.h>
#include "dist.h"

/* The rank count the MPI launchers announce to their children (Open MPI, then PMI/MPICH, Slurm). */
static int launched_ranks(void) {
    static const char *vars[] = { "OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE" };
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && atoi(v) > 1) return atoi(v);
    }
    return 1;
}

int cn_dist_start(int *argc, char ***argv, cn_dist **out, char *err, size_t errlen) {
    (void)argc; (void)argv;
    *out = NULL;
    int n = launched_ranks();
    if (n > 1) {
        snprintf(err, errlen, "started as one of %d MPI ranks, but this continuo-train has no MPI: run "
                 "build/continuo-train-mpi under mpirun (it is built when Open MPI is installed: "
                 "apt-get install libopenmpi-dev openmpi-bin, or sh tests/deps.sh build, then make)", n);
        return -1;
    }
    return 0;
}
