# nn.mk: the neural core's extra rules: -O3 for its hot kernels (so the gate math and the
# matrix-vector products vectorise), the PyTorch parity shell test, and the speed benchmark
# (C training and streaming for the report's Model 1, beside PyTorch on the same setup).
NN_HOT := nn_math nn_layers nn_batch nn_stream nn_matvec
# -fno-trapping-math lets the clamps and selects of the polynomial exp become vector blends
$(NN_HOT:%=$(BUILD)/obj/engine/%.o): OPT = -O3 -g -fno-trapping-math

TEST_SCRIPTS += tests/torch_parity.sh

BENCH_NN := $(BUILD)/bench-nn
ALL_TARGETS += $(BENCH_NN)
$(BENCH_NN): $(BUILD)/obj/tests/bench_nn.o $(TRAINER_LIB) $(ENGINE_LIB)
	$(CC) $(CFLAGS_RELEASE) -o $@ $^ $(CAIRO_LIBS) $(DEP_LIBS)
$(BUILD)/obj/tests/bench_nn.o: OPT = -O3 -g

BENCH_CMDS += sh tests/bench_nn.sh;
