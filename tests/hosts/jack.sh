#!/bin/sh
# jack.sh: continuo-jack in a real JACK graph. A private jackd on the dummy backend;
# jack_midiseq plays a short phrase every 4 s into continuo-jack, build/jack-probe records what
# comes out, and the cycles it lost (an xrun on a loaded machine). Checks: the answer arrives;
# every note-on of ours has its note-off (one a lost cycle may have taken is counted); a transport
# stop (jack_transport as timebase master) sends CC123; SIGTERM leaves no note hanging and
# exits 0; a --connect-in port that is not there is a warning listing the ports (the README's
# example), and -s names the server; the server going away is reported with a non-zero exit.
# Every process started here is ended by its own pid, also on failure.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/probe_judge.sh"

JACK=$BUILD/continuo-jack
T=$(mktemp -d)
PIDS=""
cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null; done
    sleep 0.3
    for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT INT TERM

need() { command -v "$1" >/dev/null 2>&1 || { fail "$1 is not installed (apt-get install jackd2)"; summary; exit 1; }; }
for c in jackd jack_wait jack_midiseq jack_transport jack_lsp; do need "$c"; done
for b in "$JACK" "$BUILD/jack-probe"; do [ -x "$b" ] || { fail "$b is not built"; summary; exit 1; }; done

check "--help lists the engine options" sh -c '"$0" --help | grep -q -- "--silence-beats"' "$JACK"
"$JACK" --top-p 3 >"$T/bad.log" 2>&1; rc=$?
check "an out-of-range flag is refused with exit 2 ($rc)" [ "$rc" -eq 2 ]
check "the message names the flag and its range" grep -q -- "--top-p.*0 to 1" "$T/bad.log"

# The shipped model when there is one; else untrained weights (the plumbing is under test).
MODEL="--random-model lstm:32"
if [ -n "$CONTINUO_MODEL" ] && [ -f "$CONTINUO_MODEL" ]; then MODEL="-m $CONTINUO_MODEL"
elif [ -f "$ROOT/presets/default.cnm" ]; then MODEL="-m $ROOT/presets/default.cnm"; fi
echo "model: $MODEL"

# A server of our own, so that other jackd users on this machine are never touched.
export JACK_DEFAULT_SERVER="continuo-test-$$"
export JACK_NO_AUDIO_RESERVATION=1
jackd --no-realtime -n "$JACK_DEFAULT_SERVER" -d dummy -r 48000 -p 256 >"$T/jackd.log" 2>&1 &
JACKD=$!; PIDS="$PIDS $JACKD"
if ! jack_wait -w -t 10 >/dev/null 2>&1; then
    cat "$T/jackd.log"; fail "jackd (dummy backend) did not start"; summary; exit 1
fi
ok "jackd on the dummy backend is up"

# Our notes are on channel 2, the player's on channel 1. A probe log line is one event,
# "STATUS PITCH VELOCITY ..." (status in hex, 91 a note-on on channel 2; tests/hosts/jack_probe.c),
# and "00 1 ..." marks cycles the probe lost.
ours_on() { awk '$1 == "91" && $3 > 0' "$T/dump.log" | wc -l; }
ours_off() { awk '$1 == "81" || ($1 == "91" && $3 == 0)' "$T/dump.log" | wc -l; }
ours_cc123() { awk '$1 == "b1" && $2 == 123' "$T/dump.log" | wc -l; }
held_in() { set -- $(notes "$@"); echo "$1"; }   # held_in LOG CHANNEL-NIBBLE
held_of_ours() { held_in "$T/dump.log" 1; }

# a phrase of four notes in the first second of every 4 s (192000 frames): then silence
jack_midiseq seq 192000 0 60 8000 12000 62 8000 24000 64 8000 36000 65 8000 >"$T/seq.log" 2>&1 &
PIDS="$PIDS $!"
"$BUILD/jack-probe" mon >"$T/dump.log" 2>"$T/dump.err" &
PIDS="$PIDS $!"
wait_for 50 sh -c 'jack_lsp | grep -q "^seq:out" && jack_lsp | grep -q "^mon:in"' || fail "jack_midiseq / jack-probe ports did not appear"

"$JACK" -n dut $MODEL --rng 5 --channel-out 2 --silence-beats 1 --connect-in seq:out --connect-out mon:in \
    >"$T/dut.log" 2>&1 &
DUT=$!; PIDS="$PIDS $DUT"
check "continuo-jack registers its ports and connects them" wait_for 100 sh -c 'jack_lsp -c | grep -q "^dut:in" && jack_lsp -c dut:out | grep -q "mon:in"'

answered() { [ "$(ours_on)" -gt 0 ]; }
check "the answer arrives (notes of ours in the dump)" wait_for 150 answered

# A new buffer size mid-run (256 -> 128 frames): it keeps answering.
n_before=$(ours_on)
if jack_bufsize 128 >"$T/bufsize.log" 2>&1; then
    more() { [ "$(ours_on)" -gt "$n_before" ]; }
    check "it keeps answering after a buffer-size change" wait_for 150 more
    kill -0 "$DUT" 2>/dev/null || fail "continuo-jack died on the buffer-size change"
else
    cat "$T/bufsize.log"; fail "jack_bufsize could not change the buffer size"
fi

# Transport: jack_transport becomes timebase master (BBT), sets a tempo, rolls, then stops.
# The stop must send a panic: CC123 on our channel. The stop is sent once the graph has run
# rolling cycles (build/jack-probe, on the call, records the transport state of its cycles,
# which are the cycles continuo-jack runs too), never after a fixed time: on a loaded machine
# the dummy server may not have rolled at all in a few seconds.
cc_before=$(ours_cc123)
"$BUILD/jack-probe" tprobe >"$T/tprobe.log" 2>"$T/tprobe.err" &
PIDS="$PIDS $!"
rm -f "$T/transport.in"; mkfifo "$T/transport.in"
jack_transport <"$T/transport.in" >"$T/transport.log" 2>&1 &
TR=$!; PIDS="$PIDS $TR"
exec 4>"$T/transport.in"
rolled() { [ "$(awk '$7 == 1' "$T/tprobe.log" | wc -l)" -ge 2 ]; }
if wait_for 200 sh -c 'jack_lsp | grep -q "^tprobe:in"' && jack_connect seq:out tprobe:in; then
    printf 'master\ntempo 140\nplay\n' >&4
    check "the transport rolls (call notes seen rolling)" wait_for 300 rolled
    printf 'stop\n' >&4
    stopped_panic() { [ "$(ours_cc123)" -gt "$cc_before" ]; }
    check "a transport stop sends a panic (CC123 on the output channel)" wait_for 200 stopped_panic
else
    fail "jack-probe did not start or connect (transport test)"
fi
printf 'quit\n' >&4
exec 4>&-
wait "$TR" 2>/dev/null

# SIGTERM, preferably while one of our notes sounds: none may be left hanging.
sounding() { [ "$(held_of_ours)" -gt 0 ]; }
wait_for 120 sounding && echo "(a note of ours is sounding at SIGTERM)"
kill -TERM "$DUT"
wait "$DUT"; rc=$?
PIDS=$(echo "$PIDS" | sed "s/ $DUT\b//")
none_held() { [ "$(held_in "$1" "$2")" -eq 0 ]; }
check "SIGTERM: continuo-jack exits 0" [ "$rc" -eq 0 ]
# (the dump's reader may still be writing what came in the last cycles: wait for it)
check "SIGTERM leaves no note of ours hanging" wait_for 50 none_held "$T/dump.log" 1
set -- $(notes "$T/dump.log" 1)
echo "notes of ours: $(ours_on) on, $(ours_off) off; without their own note-off: $2, and $3 more after a lost cycle ($4 cycles lost)"
# Every note-on needs its own note-off after it (CC123 alone ends a note at the synth, but the
# engine sends the note-offs as well). A note-off that may have been in a cycle the loaded
# graph lost is the test's own noise, counted above; a surplus of note-offs is allowed (a lost
# cycle can take a note-on whose note-off the probe then sees).
check "note balance: every note-on of ours has its note-off" [ "$1" -eq 0 -a "$2" -eq 0 ]
grep -q "stopped on a signal" "$T/dut.log" || { cat "$T/dut.log"; fail "no clean-stop message"; }

# Continuous mode keeps notes sounding most of the time: SIGTERM it mid-note.
"$BUILD/jack-probe" mon2 >"$T/dump2.log" 2>"$T/dump2.err" &
PIDS="$PIDS $!"
wait_for 50 sh -c 'jack_lsp | grep -q "^mon2:in"'
"$JACK" -n dutc $MODEL --mode continuous --rng 9 --channel-out 3 --connect-in seq:out --connect-out mon2:in \
    >"$T/dutc.log" 2>&1 &
DUTC=$!; PIDS="$PIDS $DUTC"
sounding2() { [ "$(held_in "$T/dump2.log" 2)" -gt 0 ]; }
check "continuous mode: notes sounding" wait_for 150 sounding2
kill -TERM "$DUTC"
wait "$DUTC"; rc=$?
PIDS=$(echo "$PIDS" | sed "s/ $DUTC\b//")
check "continuous mode, SIGTERM mid-note: exit 0" [ "$rc" -eq 0 ]
check "continuous mode, SIGTERM mid-note: no note left hanging" wait_for 50 none_held "$T/dump2.log" 2

# The README's example on a machine without system:midi_capture_1 (the dummy backend has no
# MIDI ports of its own): a warning listing the ports there are, and the client runs on. The
# server is named with -s, not the environment, as the jack_* tools do it.
env -u JACK_DEFAULT_SERVER "$JACK" -s "$JACK_DEFAULT_SERVER" -n dut3 $MODEL --connect-in system:midi_capture_1 \
    --connect-out mon2:in >"$T/dut3.log" 2>&1 &
DUT3=$!; PIDS="$PIDS $DUT3"
check "-s NAME joins that server; a missing --connect-in port does not stop it" \
    wait_for 100 sh -c 'grep -q "running at" "$0" && jack_lsp | grep -q "^dut3:in"' "$T/dut3.log"
check "the missing port is a warning that names it" grep -q "warning: cannot connect system:midi_capture_1 to dut3:in: no port system:midi_capture_1" "$T/dut3.log"
check "the warning lists the MIDI output ports there are (seq:out)" sh -c 'grep -q "MIDI output ports there are" "$0" && grep -q "^    seq:out$" "$0"' "$T/dut3.log"
check "the output port that exists is connected" sh -c 'jack_lsp -c dut3:out | grep -q "mon2:in"'
kill -TERM "$DUT3"; wait "$DUT3"; rc=$?
PIDS=$(echo "$PIDS" | sed "s/ $DUT3\b//")
check "... and it stops cleanly (exit $rc)" [ "$rc" -eq 0 ]

# The server going away: a clear message and a non-zero exit.
"$JACK" -n dut2 $MODEL >"$T/dut2.log" 2>&1 &
DUT2=$!; PIDS="$PIDS $DUT2"
# ports appear before the client is active: wait for its "running" line, so that the server
# goes away under a running client (not between registration and activation)
wait_for 100 sh -c 'jack_lsp | grep -q "^dut2:in" && grep -q "running at" "$0"' "$T/dut2.log" ||
    fail "continuo-jack (second) did not start"
kill -TERM "$JACKD"
wait "$JACKD" 2>/dev/null
n=100; while [ $n -gt 0 ] && kill -0 "$DUT2" 2>/dev/null; do sleep 0.1; n=$((n - 1)); done
if kill -0 "$DUT2" 2>/dev/null; then
    fail "continuo-jack is still running after the server went away"
else
    wait "$DUT2"; rc=$?
    check "server gone: non-zero exit ($rc)" [ "$rc" -ne 0 ]
    check "server gone: a clear message" grep -q "JACK server went away" "$T/dut2.log"
fi
[ "$FAILN" -ne 0 ] && { echo "--- dut.log"; cat "$T/dut.log"; echo "--- dump.log (tail)"; tail -20 "$T/dump.log"; echo "--- dut2.log"; cat "$T/dut2.log"; }
summary
