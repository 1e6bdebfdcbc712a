# tests/cli/cli.mk: the shell tests of the command-line tools and of the build itself (the
# tests of generate, listen and mpi are registered by their fragments in offline-trainer/).
#   build.sh     the build under clang, make install/uninstall, the test runner itself
#   cli.sh       every tool's --help, --version and usage errors
#   funclen.sh   no C function over 80 lines (the house rule; --list prints them longest first)
#   leaks.sh     the tools' error paths under LeakSanitizer (the san build of the tools below)
#   outputs.sh   every tool's output paths and write failures
#   midi_interop.sh, corpus.sh   written MIDI read by midicsv and mido; continuo-tokens on the corpus
#   tokcache.sh  the token cache; trainer.sh  continuo-train end to end
TEST_SCRIPTS += tests/cli/build.sh tests/cli/cli.sh tests/cli/leaks.sh tests/cli/outputs.sh tests/cli/funclen.sh
TEST_SCRIPTS += tests/cli/midi_interop.sh tests/cli/corpus.sh tests/cli/tokcache.sh tests/cli/trainer.sh

# The offline tools built again under ASan+UBSan, LeakSanitizer on, so that leaks.sh can run
# their error paths and fail on any leak (issue 10, point 11).
SAN_TOOLS := $(patsubst $(BUILD)/%,$(BUILD)/san/%,$(TOOLS))
$(BUILD)/san/continuo-%: $(BUILD)/san/obj/offline-trainer/%_main.o $(TRAINER_LIB_SAN) $(ENGINE_LIB_SAN)
	$(CC) $(CFLAGS_SAN) -o $@ $^ $(CAIRO_LIBS) $(DEP_LIBS)
build-tests: $(SAN_TOOLS)
