# nn.mk: the neural core's tests and bench: the PyTorch parity shell test, and the speed
# benchmark (C training and streaming for the report's Model 1, beside PyTorch on the same
# setup). The core's own -O3 flags are in engine/engine.mk.

TEST_SCRIPTS += tests/torch_parity.sh

BENCH_NN := $(BUILD)/bench-nn
ALL_TARGETS += $(BENCH_NN)
$(BENCH_NN): $(BUILD)/obj/tests/bench_nn.o $(TRAINER_LIB) $(ENGINE_LIB)
	$(CC) $(CFLAGS_RELEASE) -o $@ $^ $(CAIRO_LIBS) $(DEP_LIBS)
$(BUILD)/obj/tests/bench_nn.o: OPT = -O3 -g

BENCH_CMDS += sh tests/bench_nn.sh;
