# continuo: the one Makefile. Plain GNU make + pkg-config.
#   make                 build everything under build/ (installs missing Debian packages first)
#   make test            build and run every test; last line "N passed, N failed"
#   make bench           speed figures, one "name: value unit" a line
#   make demo            continue the shipped seed phrase with the shipped model
#   make install PREFIX=/usr/local DESTDIR=   (PREFIX=~/.local puts the LV2 bundle in ~/.lv2)
#   make uninstall PREFIX=... DESTDIR=...     removes what install put there
#
# Each folder adds its own rules in its *.mk fragments; this file holds the common flags and patterns.

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   := build
CC      ?= cc
OPT     ?= -O2 -g
PKG_CONFIG ?= pkg-config
# The instruction set of every object: the baseline x86-64 by default, so an installed
# continuo.so or continuo-jack runs on any x86-64 CPU; the wide kernels (nn_matvec.c,
# nn_gemm.c) are chosen at run time by cpuid. `make ARCH=native` builds for this CPU only;
# ARCH= (empty) passes no -march at all (other architectures).
ARCH    ?= $(if $(filter x86_64 amd64,$(shell uname -m)),x86-64,)

# pkg-config is asked lazily (=, not :=), so that a `make deps` earlier in the same
# command line has installed the packages before the flags are read.
DEP_CFLAGS = $(shell $(PKG_CONFIG) --cflags smf openblas cairo 2>/dev/null)
DEP_LIBS   = $(shell $(PKG_CONFIG) --libs smf openblas 2>/dev/null) -lm -lpthread
# cairo draws the pictures (offline-trainer/canvas.c): only the programs that link the
# trainer's library need it, never the plugin.
CAIRO_LIBS = $(shell $(PKG_CONFIG) --libs cairo 2>/dev/null)

WARN     := -Wall -Wextra -Werror
BASE_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) -fPIC -Iengine $(DEP_CFLAGS)
CFLAGS_RELEASE = $(BASE_CFLAGS) $(OPT) $(if $(ARCH),-march=$(ARCH)) $(CFLAGS)
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
CFLAGS_SAN = $(BASE_CFLAGS) -O1 -g $(SAN) $(CFLAGS)

ENGINE_SRCS  := $(wildcard engine/*.c)
TRAINER_SRCS := $(filter-out %_main.c,$(wildcard offline-trainer/*.c))
TOOL_MAINS   := $(wildcard offline-trainer/*_main.c)
TOOLS        := $(patsubst offline-trainer/%_main.c,$(BUILD)/continuo-%,$(TOOL_MAINS))

ENGINE_LIB      := $(BUILD)/libcontinuo.a
TRAINER_LIB     := $(BUILD)/libcontinuo-trainer.a
ENGINE_LIB_SAN  := $(BUILD)/san/libcontinuo.a
TRAINER_LIB_SAN := $(BUILD)/san/libcontinuo-trainer.a

ALL_TARGETS := $(ENGINE_LIB) $(TRAINER_LIB) $(TOOLS)
TEST_BINS   :=
TEST_SCRIPTS :=
BENCH_CMDS  :=   # shell commands, each ending in ";" (fragments add theirs)
INSTALL_EXTRA :=
UNINSTALL_EXTRA :=

.PHONY: all deps test run-tests list-tests bench demo install uninstall clean
.DEFAULT_GOAL := all
# Objects of the programs are chained through pattern rules; keep them (no "rm" after a build).
.SECONDARY:

all:
	@sh tests/deps.sh build
	@$(MAKE) --no-print-directory build-all

# release objects
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_RELEASE) -MMD -MP -c $< -o $@
# sanitizer objects, for the tests
$(BUILD)/san/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_SAN) -MMD -MP -c $< -o $@

$(ENGINE_LIB): $(ENGINE_SRCS:%.c=$(BUILD)/obj/%.o)
	@mkdir -p $(dir $@); rm -f $@; ar rcs $@ $^
$(TRAINER_LIB): $(TRAINER_SRCS:%.c=$(BUILD)/obj/%.o)
	@mkdir -p $(dir $@); rm -f $@; ar rcs $@ $^
$(ENGINE_LIB_SAN): $(ENGINE_SRCS:%.c=$(BUILD)/san/obj/%.o)
	@mkdir -p $(dir $@); rm -f $@; ar rcs $@ $^
$(TRAINER_LIB_SAN): $(TRAINER_SRCS:%.c=$(BUILD)/san/obj/%.o)
	@mkdir -p $(dir $@); rm -f $@; ar rcs $@ $^

$(BUILD)/continuo-%: $(BUILD)/obj/offline-trainer/%_main.o $(TRAINER_LIB) $(ENGINE_LIB)
	$(CC) $(CFLAGS_RELEASE) -o $@ $^ $(CAIRO_LIBS) $(DEP_LIBS)

# tests/unit/test_*.c: one sanitized binary each, linked with both libraries
TEST_C := $(wildcard tests/unit/test_*.c)
TEST_BINS += $(patsubst tests/unit/%.c,$(BUILD)/san/%,$(TEST_C))
$(BUILD)/san/test_%: $(BUILD)/san/obj/tests/unit/test_%.o $(TRAINER_LIB_SAN) $(ENGINE_LIB_SAN)
	$(CC) $(CFLAGS_SAN) -o $@ $^ $(CAIRO_LIBS) $(DEP_LIBS)

# the folders' fragments, and those of the test kinds (tests/cli, tests/bench, tests/parity)
include $(sort $(wildcard */*.mk tests/*/*.mk))

# Every installed program has a man page, made by help2man from its --help and --version.
INSTALL_BINS = $(TOOLS) $(BUILD)/continuo-jack $(BUILD)/continuo-live $(MPI_INSTALL_BINS)
MAN_PAGES    = $(patsubst $(BUILD)/%,$(BUILD)/man/%.1,$(INSTALL_BINS))
MAN_DESC_continuo-train    := train a next-token model on a folder of MIDI files
MAN_DESC_continuo-generate := continue a MIDI phrase with a continuo model
MAN_DESC_continuo-eval     := measure a continuo model against an n-gram baseline and by listening features
MAN_DESC_continuo-info     := print what a continuo model file holds
MAN_DESC_continuo-tokens   := print the token streams of MIDI files
MAN_DESC_continuo-makeseed := write continuo's own primer phrase
MAN_DESC_continuo-jack     := continuo's live engine as a JACK MIDI client
MAN_DESC_continuo-live     := continuo's live engine over PortMIDI, or on a simulated clock
MAN_DESC_continuo-train-mpi := continuo-train, data-parallel on Open MPI (run under mpirun)
$(BUILD)/man/%.1: $(BUILD)/%
	@mkdir -p $(dir $@)
	help2man --no-info --section=1 --name="$(MAN_DESC_$*)" --output=$@ $<
ALL_TARGETS += $(MAN_PAGES)

build-all: $(ALL_TARGETS)
build-tests: $(TEST_BINS)

# The summary is the last line of the output even when the build fails (then it counts the
# build as one failure); GNU make itself still adds its one "*** Error" line on stderr.
test:
	@if ! sh tests/deps.sh test; then echo "FAIL tests/deps.sh: the Debian packages are not installed"; \
	    echo "0 passed, 1 failed"; exit 1; fi
	@if ! $(MAKE) --no-print-directory build-all build-tests; then echo "FAIL the build (messages above)"; \
	    echo "0 passed, 1 failed"; exit 1; fi
	@sh tests/run-all.sh $(TEST_BINS) $(TEST_SCRIPTS)

run-tests: $(ALL_TARGETS) $(TEST_BINS)
	@sh tests/run-all.sh $(TEST_BINS) $(TEST_SCRIPTS)
# what make test runs, one a line, built or not (tests/cli/build.sh checks that no test is left out)
list-tests:
	@for t in $(TEST_BINS) $(TEST_SCRIPTS); do echo "$$t"; done

bench: $(ALL_TARGETS)
	@sh tests/deps.sh build
	@$(MAKE) --no-print-directory run-bench
run-bench: $(ALL_TARGETS) $(BENCH_BINS)
	@$(BENCH_CMDS) true

# A PREFIX inside $HOME is a user install: the bundle goes to ~/.lv2, as hosts look there.
LV2DIR ?= $(if $(filter $(HOME)/%,$(abspath $(PREFIX))),$(HOME)/.lv2,$(PREFIX)/lib/lv2)
SHARE_FILES := seed.mid $(notdir $(wildcard presets/default.cnm))

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/continuo
	install -m 755 $(INSTALL_BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(MAN_PAGES) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 $(addprefix presets/,$(SHARE_FILES)) $(DESTDIR)$(PREFIX)/share/continuo/
	@$(MAKE) --no-print-directory install-extra PREFIX=$(PREFIX) LV2DIR=$(LV2DIR)
install-extra: $(INSTALL_EXTRA)

# Only what install put there: the folders go when they are left empty.
uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(notdir $(INSTALL_BINS)))
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/share/man/man1/,$(notdir $(MAN_PAGES)))
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/share/continuo/,$(SHARE_FILES))
	-rmdir $(DESTDIR)$(PREFIX)/share/continuo 2>/dev/null
	@$(MAKE) --no-print-directory uninstall-extra PREFIX=$(PREFIX) LV2DIR=$(LV2DIR)
uninstall-extra: $(UNINSTALL_EXTRA)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
