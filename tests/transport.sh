#!/bin/sh
# transport.sh: continuo-jack under a rolling JACK transport with a timebase master, on a real
# host (issue 12: it fell silent there). jack_transport is the timebase master, as a user runs
# it; its BBT tick is an integer and runs slow by the truncation of each cycle's increment.
# build/jack-probe records our output with the host's BBT beat at each event. At 90 bpm and at
# 140 bpm, each on a fresh server:
#   - an answer while the transport rolls, its note-ons on the host's 1/12-beat grid (the
#     engine's grid; quantize = beat);
# Conditions are waited for, never times; xruns (a loaded machine: thousands a minute with the
# non-realtime dummy driver) may move a note, so the grid check allows one note in ten off.
# A relocation and a tempo change mid-answer are covered on a simulated JACK host (integer ticks,
# once a cycle) by tests/test_jam.c. Every process is ended by its pid.
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1
T=$(mktemp -d "${TMPDIR:-/tmp}/continuo-transport-XXXXXX")
CLIENTS=""; JACKD=""
cleanup() {
    for p in $CLIENTS; do stop_pid "$p"; done
    [ -n "$JACKD" ] && stop_pid "$JACKD"
    if [ -n "$CONTINUO_KEEP" ]; then echo "logs kept in $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT INT TERM
for tool in jackd jack_midiseq jack_transport jack_connect jack_lsp jack_wait; do
    command -v $tool >/dev/null 2>&1 || { fail "$tool is not installed (tests/deps.sh test)"; summary; exit 1; }
done
PROBE=$BUILD/jack-probe
for f in "$PROBE" "$BUILD/continuo-jack"; do
    [ -e "$f" ] || { fail "$f is not built"; summary; exit 1; }
done
MODEL="--random-model lstm:32"
[ -f "$ROOT/presets/default.cnm" ] && MODEL="-m $ROOT/presets/default.cnm"
export JACK_NO_AUDIO_RESERVATION=1

wait_for() {   # tries (0.1 s each), command...
    n=$1; shift
    while [ "$n" -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
    return 1
}
have_port() { jack_lsp 2>/dev/null | grep -q "^$1\$"; }

# our note-ons (channel 2) in a probe log from line $2 on, rolling, at tempo $3
ons() { tail -n +"$2" "$1" | awk -v bpm="$3" '$1 == "91" && $3 > 0 && $7 == 1 && ($5 - bpm) * ($5 - bpm) < 0.01'; }
enough() { [ "$(ons "$1" "$2" "$3" | wc -l)" -ge "$4" ]; }
# note-ons within 0.01 beat of the host's 1/12-beat grid; prints "on_grid total"
grid() { ons "$@" | awk '{ f = $4 - int($4); b = f * 12; d = b - int(b + 0.5); if (d < 0) d = -d; if (d / 12 <= 0.01) g++; n++ }
                          END { print g + 0, n + 0 }'; }
grid_ok() { set -- $(grid "$@"); [ "$2" -ge 4 ] && [ $((10 * $1)) -ge $((9 * $2)) ]; }
at_tempo() {   # at_tempo BPM: a fresh server, master, call, continuo-jack and probe; the checks
    bpm=$1; log=$T/probe.$bpm; CLIENTS=""
    export JACK_DEFAULT_SERVER="continuo-tr-$$-$bpm"
    jackd -n "$JACK_DEFAULT_SERVER" --no-realtime -d dummy -r 48000 -p 256 >"$T/jackd.$bpm.log" 2>&1 &
    JACKD=$!
    jack_wait -w -t 20 >/dev/null 2>&1 || { cat "$T/jackd.$bpm.log"; fail "$bpm bpm: jackd did not start"; return; }
    # a call of seven notes over 3 s, every 8 s: answers of several beats
    jack_midiseq seq 384000 0 60 8000 24000 62 8000 48000 64 8000 72000 65 8000 96000 67 8000 \
        120000 65 8000 144000 64 8000 >"$T/seq.$bpm.log" 2>&1 &
    CLIENTS="$CLIENTS $!"
    rm -f "$T/master.in"; mkfifo "$T/master.in"
    jack_transport <"$T/master.in" >>"$T/transport.log" 2>&1 &
    CLIENTS="$CLIENTS $!"
    ( printf 'master\ntempo %s\nlocate 0\nplay\n' "$bpm"; exec sleep 3600 ) >"$T/master.in" &
    CLIENTS="$CLIENTS $!"
    "$PROBE" probe >"$log" 2>"$T/probe.$bpm.err" &
    CLIENTS="$CLIENTS $!"
    "$BUILD/continuo-jack" -n cj $MODEL --rng 5 --channel-out 2 --quantize beat --no-thru >"$T/cj.$bpm.log" 2>&1 &
    CLIENTS="$CLIENTS $!"
    if wait_for 200 have_port cj:out && wait_for 100 have_port probe:in && wait_for 100 have_port seq:out &&
       jack_connect seq:out cj:in && jack_connect cj:out probe:in; then
        check "continuo-jack answers while the transport rolls at $bpm bpm (jack_transport master)" wait_for 600 enough "$log" 1 "$bpm" 4
        check "$bpm bpm: note-ons on the host's beat grid ($(grid "$log" 1 "$bpm") on grid)" grid_ok "$log" 1 "$bpm"
    else
        cat "$T/cj.$bpm.log"; fail "$bpm bpm: continuo-jack, the probe or the sequencer did not start or connect"
    fi
    [ "$FAILN" -ne 0 ] && { echo "--- probe.$bpm (tail)"; tail -n 15 "$log"; tail -n 3 "$T/cj.$bpm.log"; }
    for p in $CLIENTS; do stop_pid "$p"; done
    stop_pid "$JACKD"; JACKD=""; CLIENTS=""
}

at_tempo 90
at_tempo 140
summary
