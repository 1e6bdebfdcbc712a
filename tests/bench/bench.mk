# tests/bench/bench.mk: the speed figures of `make bench` that belong to no one front end (the
# jam's, generate's, mpi's and the LV2 plugin's are registered beside their code):
#   build/bench-nn        the neural core (C training and streaming for the report's Model 1);
#                         bench_nn.sh runs it and PyTorch (bench_torch.py) on the same setup
#   build/bench-sample    the sampler
#   bench_trainer.sh      continuo-train's tokens/s beside PyTorch on the same batches
# The core's own -O3 flags are in engine/engine.mk.
BENCH_NN := $(BUILD)/bench-nn
ALL_TARGETS += $(BENCH_NN)
$(BENCH_NN): $(BUILD)/obj/tests/bench/bench_nn.o $(TRAINER_LIB) $(ENGINE_LIB)
	$(CC) $(CFLAGS_RELEASE) -o $@ $^ $(CAIRO_LIBS) $(DEP_LIBS)
$(BUILD)/obj/tests/bench/bench_nn.o: OPT = -O3 -g
BENCH_CMDS += sh tests/bench/bench_nn.sh;

BENCH_SAMPLE := $(BUILD)/bench-sample
ALL_TARGETS += $(BENCH_SAMPLE)
$(BENCH_SAMPLE): $(BUILD)/obj/tests/bench/bench_sample.o $(ENGINE_LIB)
	$(CC) $(CFLAGS_RELEASE) -o $@ $^ $(DEP_LIBS)
BENCH_CMDS += $(BENCH_SAMPLE);

BENCH_CMDS += sh tests/bench/bench_trainer.sh;
