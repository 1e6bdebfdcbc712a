# fuzz/fuzz.mk: libFuzzer targets (clang, ASan + UBSan) over the engine, built in build/fuzz:
#   fuzz-midi (reader, byte check, clean-up, token round trip), fuzz-model (loader past the
#   checksum, stream steps f32/f16/int8), fuzz-tokens (event, paper and incremental decoders).
# `make fuzz [FUZZ_SECONDS=600]` makes the seed corpora and hunts, each target in turn;
# `make test` runs tests/fuzz/fuzz.sh: the kept crash regressions (tests/fuzz/TARGET/) and a short
# fixed-iteration run of each target.
FUZZ_CC      ?= clang
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS   = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iengine $(DEP_CFLAGS) -O1 -g $(FUZZ_SAN)
FUZZ_TARGETS := midi model tokens
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz-%)
FUZZ_SEEDER  := $(BUILD)/fuzz/make-seeds
FUZZ_SECONDS ?= 60
FUZZ_ENGINE_OBJS := $(ENGINE_SRCS:%.c=$(BUILD)/fuzz/obj/%.o)

$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@
$(BUILD)/fuzz/fuzz-%: $(BUILD)/fuzz/obj/fuzz/fuzz_%.o $(FUZZ_ENGINE_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(DEP_LIBS)
$(FUZZ_SEEDER): $(BUILD)/obj/fuzz/make_seeds.o $(ENGINE_LIB)
	$(CC) $(CFLAGS_RELEASE) -o $@ $^ $(DEP_LIBS)

TEST_SCRIPTS += tests/fuzz/fuzz.sh
run-tests build-tests: $(FUZZ_BINS) $(FUZZ_SEEDER)   # make test builds build-tests

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BINS) $(FUZZ_SEEDER)
fuzz:
	@sh tests/deps.sh build
	@$(MAKE) --no-print-directory fuzz-build
	@sh tests/fuzz/fuzz.sh --hunt $(FUZZ_SECONDS)
