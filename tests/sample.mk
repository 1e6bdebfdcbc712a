# sample.mk: the sampler's speed figures for `make bench` (build/bench-sample).
BENCH_SAMPLE := $(BUILD)/bench-sample
ALL_TARGETS += $(BENCH_SAMPLE)
$(BENCH_SAMPLE): $(BUILD)/obj/tests/bench_sample.o $(ENGINE_LIB)
	$(CC) $(CFLAGS_RELEASE) -o $@ $^ $(DEP_LIBS)
BENCH_CMDS += $(BENCH_SAMPLE);
