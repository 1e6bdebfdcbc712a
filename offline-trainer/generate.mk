# generate.mk: continuing a phrase offline (continuo-generate, continuo-eval, continuo-makeseed)
# and `make demo`, the project's main job: the shipped model continues the shipped seed
# phrase into build/demo.mid, and fluidsynth renders build/demo.wav when it is installed.
TEST_SCRIPTS += tests/generate.sh

DEMO_MODEL ?= presets/default.cnm
DEMO_SEED  ?= presets/seed.mid
SOUNDFONT  ?= /usr/share/sounds/sf2/FluidR3_GM.sf2
DEMO_FLAGS ?= --include-primer --notes 96 --rng 1 --temperature 0.9 --top-p 0.95 --key auto

# Two jobs unless the caller chose: a fresh clone builds the libraries in about half the time.
demo:
	@sh tests/deps.sh build
	@$(MAKE) --no-print-directory $(if $(filter -j%,$(MAKEFLAGS)),,-j2) run-demo

run-demo: $(BUILD)/continuo-generate
	@if [ ! -f $(DEMO_MODEL) ]; then \
	    echo "demo: $(DEMO_MODEL) is missing: the default model has not been trained and committed yet" >&2; exit 1; fi
	@$(BUILD)/continuo-generate -m $(DEMO_MODEL) --primer $(DEMO_SEED) -o $(abspath $(BUILD))/demo.mid \
	    --roll $(abspath $(BUILD))/demo.svg $(DEMO_FLAGS)
	@if command -v fluidsynth >/dev/null 2>&1 && [ -f $(SOUNDFONT) ]; then \
	    fluidsynth -ni -q -g 0.9 -r 44100 -F $(abspath $(BUILD))/demo.wav $(SOUNDFONT) $(abspath $(BUILD))/demo.mid >/dev/null 2>&1 \
	    && echo "rendered $(abspath $(BUILD))/demo.wav with fluidsynth"; \
	else echo "(no WAV: fluidsynth or $(SOUNDFONT) is not installed; apt-get install fluidsynth fluid-soundfont-gm)"; fi

.PHONY: run-demo

BENCH_CMDS += sh tests/bench_generate.sh;
