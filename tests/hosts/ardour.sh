#!/bin/sh
# ardour.sh: the plugin in a real DAW, Ardour 7 headless (ardour7-lua, tests/hosts/ardour_session.lua),
# on a JACK server with the dummy backend. A session gets a MIDI track carrying continuo, set
# up from a preset that holds the controls and a model path; a call played in through JACK
# (jack_midiseq) comes out answered (jack_midi_dump); the session is saved, the original model
# moved away, and the session reloaded: the controls and the model (copied into the session)
# are kept. If Ardour cannot run here, the test says why and fails.
# A tempo change (issue 12): in a second session a probe inside Ardour (tests/hosts/ardour_onset_log.lua,
# a Lua DSP processor before and after continuo) records each note with Ardour's own beat and
# tempo. While an answer plays at 120 bpm, the session's tempo map gets a 90 bpm point at the next
# whole beat (tests/hosts/ardour_session.lua, action tempo); the rest of the answer, and the next
# answers, land on Ardour's beat grid at 90 bpm, judged as tests/hosts/transport.sh judges JACK
# (tests/hosts/probe_judge.sh).
# ARDOUR_ONLY=tempo runs that case alone.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/probe_judge.sh"
cd "$ROOT" || exit 1
BUNDLE=$BUILD/continuo.lv2
T=$(mktemp -d "${TMPDIR:-/tmp}/continuo-ardour-XXXXXX")
CLIENTS=""
JACKD=""
cleanup() {
    for p in $CLIENTS; do stop_pid "$p"; done
    [ -n "$JACKD" ] && stop_pid "$JACKD"
    if [ -n "$CONTINUO_KEEP" ]; then echo "logs kept in $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT INT TERM
give_up() { fail "$1"; summary; exit 1; }

command -v ardour7-lua >/dev/null 2>&1 || give_up "Ardour cannot run: ardour7-lua is not installed (package ardour; make test installs it through tests/deps.sh)"
for tool in jackd jack_wait jack_midiseq jack_midi_dump jack_lsp; do
    command -v $tool >/dev/null 2>&1 || give_up "Ardour test: $tool is missing (package jackd2)"
done
[ -f "$BUNDLE/continuo.so" ] || give_up "the bundle $BUNDLE is not built (make)"
[ -x "$BUILD/lv2-rt" ] || give_up "$BUILD/lv2-rt is not built (make)"

# LV2_PATH: the bundle, and a bundle of our own with the test preset and its model.
mkdir -p "$T/lv2/continuo-test.lv2" "$T/home" "$T/config/ardour7"
ln -s "$BUNDLE" "$T/lv2/continuo.lv2"
P=$T/lv2/continuo-test.lv2
"$BUILD/lv2-rt" --make-model "$P/test.cnm" || give_up "cannot write the test model"
cp "$P/test.cnm" "$T/original.cnm"
cat >"$P/manifest.ttl" <<'EOF'
@prefix lv2:  <http://lv2plug.in/ns/lv2core#> .
@prefix pset: <http://lv2plug.in/ns/ext/presets#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<urn:continuo:test:ardour> a pset:Preset ; lv2:appliesTo <urn:continuo:continuo> ; rdfs:seeAlso <preset.ttl> .
EOF
cat >"$P/preset.ttl" <<'EOF'
@prefix lv2:   <http://lv2plug.in/ns/lv2core#> .
@prefix pset:  <http://lv2plug.in/ns/ext/presets#> .
@prefix rdfs:  <http://www.w3.org/2000/01/rdf-schema#> .
@prefix state: <http://lv2plug.in/ns/ext/state#> .
<urn:continuo:test:ardour>
	a pset:Preset ;
	lv2:appliesTo <urn:continuo:continuo> ;
	rdfs:label "continuo-ardour-test" ;
	lv2:port [ lv2:symbol "mode" ; pset:value 1.0 ] , [ lv2:symbol "temperature" ; pset:value 0.8 ] ,
		[ lv2:symbol "top_p" ; pset:value 0.9 ] , [ lv2:symbol "silence_beats" ; pset:value 1.0 ] ,
		[ lv2:symbol "response_beats" ; pset:value 6.0 ] , [ lv2:symbol "channel_in" ; pset:value 0.0 ] ,
		[ lv2:symbol "channel_out" ; pset:value 2.0 ] , [ lv2:symbol "thru" ; pset:value 0.0 ] ,
		[ lv2:symbol "quantize" ; pset:value 0.0 ] , [ lv2:symbol "seed" ; pset:value 5.0 ] ,
		[ lv2:symbol "bpm" ; pset:value 120.0 ] ;
	state:state [ <urn:continuo:model> <test.cnm> ] .
EOF
# Ardour's own settings stay in the test's folder.
cat >"$T/config/ardour7/config" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<Ardour><Config><Option name="hide-dummy-backend" value="0"/></Config></Ardour>
EOF
export HOME="$T/home" XDG_CONFIG_HOME="$T/config" LV2_PATH="$T/lv2"
unset CONTINUO_MODEL

export JACK_DEFAULT_SERVER=continuo-ardour JACK_NO_AUDIO_RESERVATION=1
jackd -n "$JACK_DEFAULT_SERVER" --no-realtime -d dummy -r 48000 -p 512 >"$T/jackd.log" 2>&1 &
JACKD=$!
jack_wait -w -t 20 >/dev/null 2>&1 || { cat "$T/jackd.log"; give_up "Ardour test: jackd (dummy backend) did not start"; }
# a two-note call every 2 s (at 120 bpm: notes at beats 0 and 0.5, then 3 beats of rest)
jack_midiseq seq 96000 0 60 8000 12000 64 8000 >"$T/seq.log" 2>&1 &
CLIENTS="$CLIENTS $!"
jack_midi_dump -a mon >"$T/dump.log" 2>&1 &
CLIENTS="$CLIENTS $!"
n=100
until timeout 10 jack_lsp 2>/dev/null | grep -q '^mon:input$' && timeout 10 jack_lsp 2>/dev/null | grep -q '^seq:out$'; do
    n=$((n - 1)); [ $n -gt 0 ] || give_up "Ardour test: jack_midiseq/jack_midi_dump did not start"; sleep 0.1
done

LUA=$ROOT/tests/hosts/ardour_session.lua
# Ardour's JACK client closed by the server: seen once in nine runs under a training load, at a
# session's start, with jackd logging "CheckSize error ... Unknown request" (a garbled request
# on Ardour's socket: the host's fault, not the plugin's). Such a start is tried once more,
# and said so; a halt after the start fails the case.
halted() { grep -q '^JACK HALTED' "$1"; }
halt_note() { echo "Ardour lost its JACK server at the start ($1; jackd: $(grep -m 1 -E 'CheckSize|Unknown request' "$T/jackd.log")): once more, in a new session"; }
fact() { grep "^ARDOUR-TEST $2 " "$1" | head -n 1 | sed "s/^ARDOUR-TEST $2 //"; }

# the session case: an answer through Ardour, the state saved, reloaded with the model moved away
state_case() {
    for try in 1 2; do
        timeout -k 10 300 ardour7-lua "$LUA" create "$T/session" jamtest seq:out mon:input 12 >"$T/create.log" 2>&1
        rc=$?
        grep -q "^ARDOUR-TEST done create" "$T/create.log" || ! halted "$T/create.log" || [ $try -eq 2 ] && break
        halt_note create; mv "$T/create.log" "$T/create.halted.log"; rm -rf "$T/session"
    done
    if ! grep -q "^ARDOUR-TEST done create" "$T/create.log"; then
        tail -n 30 "$T/create.log"
        [ "$rc" -eq 124 ] && give_up "Ardour did not finish building and running the session in 300 s"
        give_up "Ardour could not build and run the session (ardour7-lua exited $rc): $(fact "$T/create.log" error)"
    fi
    ok "Ardour 7 headless: a session with a MIDI track carrying continuo"
    check "the preset with the model path is loaded" [ "$(fact "$T/create.log" preset)" = continuo-ardour-test ]
    check "the track's MIDI in and out are wired through JACK" \
        [ "$(fact "$T/create.log" connect-in)/$(fact "$T/create.log" connect-out)" = 0/0 ]
    answers=$(grep -Ec ': 91 [0-9a-f]{2} [0-9a-f]{2} note on' "$T/dump.log")
    calls=$(grep -Ec ': 90 [0-9a-f]{2} [0-9a-f]{2} note on' "$T/dump.log")
    echo "through Ardour: $answers answer notes on channel 2, $calls call notes passed (thru is off)"
    check "MIDI played in through JACK comes out answered" [ "$answers" -gt 0 ]
    check "thru off: the call itself does not come out" [ "$calls" -eq 0 ]

    # the state Ardour saved: the model path, and the model copied into the session
    latest_state() { ls -d "$T"/session/plugins/*/state* 2>/dev/null | sort -V | tail -n 1; }
    state=$(latest_state)/state.ttl
    n_states=$(ls -d "$T"/session/plugins/*/state* 2>/dev/null | wc -l)
    check "Ardour saved the plugin's state" [ -f "$state" ]
    saved_model=$(sed -n 's/.*<urn:continuo:model> *<\([^>]*\)>.*/\1/p' "$state" 2>/dev/null | head -n 1)
    echo "saved model: $saved_model (in $state)"
    copy=$(find "$T/session" -name test.cnm -type f | head -n 1)
    check "the model path is in the saved state" [ -n "$saved_model" ]
    check "the model is copied into the session" sh -c '[ -n "$0" ] && cmp -s "$0" "$1"' "$copy" "$T/original.cnm"

    # move the original model away, reload the session: controls and model are kept
    mv "$P/test.cnm" "$T/moved.cnm"
    timeout -k 10 300 ardour7-lua "$LUA" reload "$T/session" jamtest >"$T/reload.log" 2>&1
    if ! grep -q "^ARDOUR-TEST done reload" "$T/reload.log"; then
        tail -n 30 "$T/reload.log"
        give_up "Ardour could not reload the session: $(fact "$T/reload.log" error)"
    fi
    for c in mode:1 temperature:0.8 channel_out:2 thru:0 seed:5 response_beats:6; do
        sym=${c%%:*}; want=${c#*:}
        got=$(fact "$T/reload.log" "control $sym")
        check "reloaded control $sym = $want (got $got)" awk -v a="$got" -v b="$want" 'BEGIN { d = a - b; exit !(a != "" && d < 1e-4 && d > -1e-4) }'
    done
    # The plugin records a model path only once the model has loaded, and the original is gone:
    # a state saved after the reload that still names a model proves it loaded the session's copy.
    state2=$(latest_state)/state.ttl
    n_states2=$(ls -d "$T"/session/plugins/*/state* 2>/dev/null | wc -l)
    echo "state after the reload: $state2"
    check "the reload saved a new state" [ "$n_states2" -gt "$n_states" ]
    check "with the original model moved away, the reloaded plugin still holds the model (from the session)" \
        grep -q 'urn:continuo:model' "$state2"
    copy2=$(find "$(dirname "$state2")" -name '*.cnm' -type f | head -n 1)
    check "the new state carries the model too" sh -c '[ -n "$0" ] && cmp -s "$0" "$1"' "$copy2" "$T/original.cnm"
}

have_port() { timeout 10 jack_lsp 2>/dev/null | grep -q "^$1\$"; }
changed() { grep -q '^ARDOUR-TEST tempo-change-beat ' "$T/tempo.log"; }
ended() { grep -q '^ARDOUR-TEST done tempo' "$T/tempo.log"; }
tempo_map_ok() { [ "$(fact "$T/tempo.log" tempo-before)" = 120.0 ] && [ "$(fact "$T/tempo.log" tempo-after)" = 90.0 ]; }
# start_tempo DIR: Ardour on a new tempo session in DIR, in the background ($lua); the probe
# log $log starts empty (the Lua writes it once its session rolls; the judges read it from the start)
start_tempo() {
    : >"$log"
    timeout -k 10 500 ardour7-lua "$LUA" tempo "$1" jamtempo call:out "$log" "$T/go" "$T/end" 90 400 \
        >"$T/tempo.log" 2>&1 &
    lua=$!
    CLIENTS="$CLIENTS $lua"
}
# the tempo case: Ardour's own transport and tempo map, the probe inside Ardour (a Lua DSP
# processor from Ardour's scripts folder) writing $T/probe.log
tempo_case() {
    [ -f "$P/test.cnm" ] || cp "$T/original.cnm" "$P/test.cnm"   # the session case moved it away
    mkdir -p "$T/config/ardour7/scripts"
    cp "$ROOT/tests/hosts/ardour_onset_log.lua" "$T/config/ardour7/scripts/"
    # a call of seven notes over 3 s, every 8 s (as in transport.sh): answers of several beats
    jack_midiseq call 384000 0 60 8000 24000 62 8000 48000 64 8000 72000 65 8000 96000 67 8000 \
        120000 65 8000 144000 64 8000 >"$T/call.log" 2>&1 &
    CLIENTS="$CLIENTS $!"
    wait_for 200 have_port call:out || { fail "tempo case: the call (jack_midiseq) did not start"; return; }
    log=$T/probe.log
    start_tempo "$T/session-tempo"
    rolls_or_halts() { enough "$log" 1 120 4 || halted "$T/tempo.log"; }
    wait_for 3000 rolls_or_halts
    if halted "$T/tempo.log"; then
        halt_note tempo; stop_pid "$lua"; mv "$T/tempo.log" "$T/tempo.halted.log"
        start_tempo "$T/session-tempo2"
        wait_for 3000 enough "$log" 1 120 4
    fi
    check "Ardour rolls at 120 bpm and the plugin answers (Ardour's beat at each note)" enough "$log" 1 120 4
    check "120 bpm: an answer has begun (its first notes sounding)" wait_for 600 answer_begun "$log"
    from=$(($(wc -l <"$log") + 1))
    : >"$T/go"
    if ! wait_for 600 changed; then
        tail -n 20 "$T/tempo.log"; fail "Ardour did not change the tempo: $(fact "$T/tempo.log" error)"; return
    fi
    at=$(fact "$T/tempo.log" tempo-change-beat)
    echo "tempo point at beat $at (sample $(fact "$T/tempo.log" tempo-change-sample)), Ardour rolling: $(fact "$T/tempo.log" rolling-at-change), the track's playback latency: $(fact "$T/tempo.log" playback-latency) samples"
    check "the tempo map: 120 bpm before beat $at, 90 bpm after ($(fact "$T/tempo.log" tempo-before), $(fact "$T/tempo.log" tempo-after))" tempo_map_ok
    check "before the change, the call was answered at 120 bpm on Ardour's grid (on grid, judged, late: $(grid "$log" 1 120))" grid_ok "$log" 1 120
    check "a tempo change mid-answer: the answer goes on at 90 bpm" wait_for 600 went_on "$log" 90
    check "after the tempo change, answers at 90 bpm" wait_for 1800 enough "$log" "$from" 90 10
    check "90 bpm after the change: onsets on Ardour's beat grid (on grid, judged, late: $(grid "$log" "$from" 90))" grid_ok "$log" "$from" 90
    # for comparison (not a check: how many land on both grids depends on the notes), the same
    # onsets with their beats counted on at 120 bpm from the change, as if the tempo had not changed
    echo "the same onsets on the old tempo's grid: $(grid "$log" "$from" 90 "$at" 1.3333333) (grid_ok needs 9 in 10)"
    : >"$T/end"
    check "Ardour stopped and closed the tempo session" wait_for 600 ended
    [ "$FAILN" -ne 0 ] && { echo "--- $log (tail)"; tail -n 15 "$log"; tail -n 5 "$T/tempo.log"; }
    wait "$lua" 2>/dev/null
}

[ "$ARDOUR_ONLY" = tempo ] || state_case
tempo_case
summary
