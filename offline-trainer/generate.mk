# generate.mk: continuing a phrase offline (continuo-generate, continuo-eval, continuo-makeseed)
# and `make demo`, the project's main job: the shipped model continues the shipped seed
# phrase into build/demo.mid, and fluidsynth renders build/demo.wav when it is installed.
TEST_SCRIPTS += tests/cli/generate.sh

DEMO_MODEL ?= presets/default.cnm
DEMO_SEED  ?= presets/seed.mid
SOUNDFONT  ?= /usr/share/sounds/sf2/FluidR3_GM.sf2
DEMO_FLAGS ?= --include-primer --beats 32 --rng 1

# Two jobs unless the caller chose: a fresh clone builds the libraries in about half the time.
demo:
	@sh tests/deps.sh build
	@$(MAKE) --no-print-directory $(if $(filter -j%,$(MAKEFLAGS)),,-j2) run-demo

# The WAV is rendered by fluidsynth and normalised by sox to a peak of -1 dBFS: fluidsynth's
# own level depends on the piece (the shipped demo peaked at -15 dBFS), so a gain is no fix.
DEMO_DIR ?= $(abspath $(BUILD))
DEMO_PEAK_DBFS ?= -1
run-demo: $(BUILD)/continuo-generate
	@if [ ! -f $(DEMO_MODEL) ]; then \
	    echo "demo: $(DEMO_MODEL) is missing: the default model has not been trained and committed yet" >&2; exit 1; fi
	@mkdir -p $(DEMO_DIR)
	@$(BUILD)/continuo-generate -m $(DEMO_MODEL) --primer $(DEMO_SEED) -o $(DEMO_DIR)/demo.mid \
	    --roll $(DEMO_DIR)/demo.svg $(DEMO_FLAGS)
	@if command -v fluidsynth >/dev/null 2>&1 && [ -f $(SOUNDFONT) ]; then \
	    fluidsynth -ni -q -g 0.9 -r 44100 -F $(DEMO_DIR)/demo.raw.wav $(SOUNDFONT) $(DEMO_DIR)/demo.mid >/dev/null 2>&1 \
	    || { echo "demo: fluidsynth could not render $(DEMO_DIR)/demo.mid" >&2; exit 1; }; \
	    if command -v sox >/dev/null 2>&1; then \
	        sox --norm=$(DEMO_PEAK_DBFS) $(DEMO_DIR)/demo.raw.wav $(DEMO_DIR)/demo.wav && rm -f $(DEMO_DIR)/demo.raw.wav \
	        && echo "rendered $(DEMO_DIR)/demo.wav with fluidsynth, peak normalised to $(DEMO_PEAK_DBFS) dBFS"; \
	    else mv $(DEMO_DIR)/demo.raw.wav $(DEMO_DIR)/demo.wav; \
	        echo "rendered $(DEMO_DIR)/demo.wav with fluidsynth (not normalised: sox is not installed)"; fi; \
	else echo "(no WAV: fluidsynth or $(SOUNDFONT) is not installed; apt-get install fluidsynth fluid-soundfont-gm)"; fi

.PHONY: run-demo

BENCH_CMDS += sh tests/bench/bench_generate.sh;
