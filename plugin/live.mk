# plugin/live.mk: the command-line live front ends over the engine's jam: build/continuo-jack
# (a JACK MIDI client) and build/continuo-live (PortMIDI, with a file-in/file-out mode), and
# their tests (jackd on the dummy backend; the file mode and the no-device error).

JACK_CFLAGS = $(shell $(PKG_CONFIG) --cflags jack 2>/dev/null)
JACK_LIBS   = $(shell $(PKG_CONFIG) --libs jack 2>/dev/null)
# PortMIDI ships no .pc file; -lportmidi includes the Pt_* timer functions.
PORTMIDI_LIBS := -lportmidi

# The front ends share the tools' command-line conventions (offline-trainer/cli.c).
LIVE_FE_OBJ := $(BUILD)/obj/plugin/frontend_opts.o $(BUILD)/obj/offline-trainer/cli.o
$(BUILD)/obj/plugin/frontend_opts.o $(BUILD)/obj/plugin/continuo_live.o $(BUILD)/obj/plugin/continuo_jack.o: CFLAGS += -Ioffline-trainer

$(BUILD)/obj/plugin/continuo_jack.o: plugin/continuo_jack.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_RELEASE) $(JACK_CFLAGS) -Iplugin -MMD -MP -c $< -o $@

$(BUILD)/continuo-jack: $(BUILD)/obj/plugin/continuo_jack.o $(LIVE_FE_OBJ) $(ENGINE_LIB)
	$(CC) $(CFLAGS_RELEASE) -o $@ $^ $(JACK_LIBS) $(DEP_LIBS)

$(BUILD)/continuo-live: $(BUILD)/obj/plugin/continuo_live.o $(LIVE_FE_OBJ) $(ENGINE_LIB)
	$(CC) $(CFLAGS_RELEASE) -o $@ $^ $(PORTMIDI_LIBS) $(DEP_LIBS)

ALL_TARGETS  += $(BUILD)/continuo-jack $(BUILD)/continuo-live
TEST_SCRIPTS += tests/hosts/jack.sh tests/hosts/live.sh tests/hosts/transport.sh

# the live engine's speed: RT half per 64-frame block, inference half per model step
BENCH_JAM := $(BUILD)/bench-jam
$(BENCH_JAM): $(BUILD)/obj/tests/bench/bench_jam.o $(ENGINE_LIB)
	$(CC) $(CFLAGS_RELEASE) -o $@ $^ $(DEP_LIBS)
ALL_TARGETS += $(BENCH_JAM)
BENCH_CMDS  += $(BENCH_JAM);

# tests/hosts/jack.sh's recorder: MIDI in with the host's BBT beat at each event
JACK_PROBE := $(BUILD)/jack-probe
$(BUILD)/obj/tests/hosts/jack_probe.o: tests/hosts/jack_probe.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_RELEASE) $(JACK_CFLAGS) -MMD -MP -c $< -o $@
$(JACK_PROBE): $(BUILD)/obj/tests/hosts/jack_probe.o
	$(CC) $(CFLAGS_RELEASE) -o $@ $^ $(JACK_LIBS) -lpthread
ALL_TARGETS += $(JACK_PROBE)

# tests/hosts/transport.sh's timebase master: exact BBT, tempo changes and relocations on command
JACK_MASTER := $(BUILD)/jack-master
$(BUILD)/obj/tests/hosts/jack_master.o: tests/hosts/jack_master.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_RELEASE) $(JACK_CFLAGS) -MMD -MP -c $< -o $@
$(JACK_MASTER): $(BUILD)/obj/tests/hosts/jack_master.o
	$(CC) $(CFLAGS_RELEASE) -o $@ $^ $(JACK_LIBS) -lm
ALL_TARGETS += $(JACK_MASTER)
