# mpi.mk: build/continuo-train-mpi, data-parallel training on Open MPI (offline-trainer/mpi/).
# It is a separate program so that continuo-train stays MPI-free and builds anywhere: it is
# built when pkg-config finds ompi-c (Debian: libopenmpi-dev, which tests/deps.sh installs);
# without it everything else builds and `make` says how to get it.
MPI_PC    := ompi-c
HAVE_MPI  := $(shell $(PKG_CONFIG) --exists $(MPI_PC) 2>/dev/null && echo yes)
MPI_TRAIN := $(BUILD)/continuo-train-mpi
TEST_SCRIPTS += tests/cli/mpi.sh
BENCH_CMDS += sh tests/bench/bench_mpi.sh;

ifeq ($(HAVE_MPI),yes)
MPI_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(MPI_PC))
MPI_LIBS   := $(shell $(PKG_CONFIG) --libs $(MPI_PC))
ALL_TARGETS += $(MPI_TRAIN)
MPI_INSTALL_BINS := $(MPI_TRAIN)   # installed, with its man page, by the Makefile's install
$(BUILD)/mpi/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_RELEASE) $(MPI_CFLAGS) -Ioffline-trainer -MMD -MP -c $< -o $@
# dist_mpi.o defines cn_dist_start, so the library's single-process one is not linked
$(MPI_TRAIN): $(BUILD)/mpi/obj/offline-trainer/mpi/dist_mpi.o $(BUILD)/obj/offline-trainer/train_main.o $(TRAINER_LIB) $(ENGINE_LIB)
	$(CC) $(CFLAGS_RELEASE) -o $@ $^ $(CAIRO_LIBS) $(DEP_LIBS) $(MPI_LIBS)
else
ALL_TARGETS += mpi-missing
mpi-missing:
	@echo "note: $(MPI_TRAIN) (data-parallel training) is not built: Open MPI was not found (pkg-config $(MPI_PC));" \
	      "install libopenmpi-dev and openmpi-bin (sh tests/deps.sh build), then make" >&2
endif
.PHONY: mpi-missing
