#!/bin/sh
# lv2.sh: the LV2 plugin's tests. The Turtle parses (serdi), the built bundle validates
# (lv2_validate, "Found 0 errors"), the lilv harness passes under ASan/UBSan, run() passes the
# malloc/lock guard, and a real host answers: jackd on the dummy backend, jalv hosting the
# plugin, jack_midiseq playing a call, jack_midi_dump listening, jack_transport rolling and then
# stopping: the answer arrives, and the stop ends it with note-offs and CC123.
. "$(dirname "$0")/../lib.sh"
cd "$ROOT" || exit 1
BUNDLE=$BUILD/continuo.lv2
T=$(mktemp -d "${TMPDIR:-/tmp}/continuo-lv2sh-XXXXXX")
CLIENTS=""
JACKD=""
# Clients first, then the server, each waited for: a jackd killed uncleanly leaves its
# entry in JACK's shared registry, which holds only 8 servers.
cleanup() {
    exec 3>&- 4>&- 2>/dev/null
    for p in $CLIENTS; do stop_pid "$p"; done
    [ -n "$JACKD" ] && stop_pid "$JACKD"
    if [ -n "$CONTINUO_KEEP" ]; then echo "logs kept in $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT INT TERM

# Only the bundle on LV2_PATH: the build folder itself holds other things lilv would try.
mkdir -p "$T/lv2"
ln -s "$BUNDLE" "$T/lv2/continuo.lv2"

# `lv2.sh --bench`: the plugin's make-bench figures (run() at 64-frame blocks); `lv2.sh --png
# FILE`: the inline display's picture (the README's doc/inline-display.png); both with the
# shipped model when the bundle has one.
if [ "${1:-}" = --bench ] || [ "${1:-}" = --png ]; then
    [ -f "$BUNDLE/default.cnm" ] && export CONTINUO_BENCH_MODEL="$BUNDLE/default.cnm"
    LV2_PATH=$T/lv2 "$BUILD/lv2-rt" "$@" 2>"$T/bench.log"
    rc=$?
    [ $rc -ne 0 ] && cat "$T/bench.log" >&2
    exit $rc
fi

# Adds a C program's or sub-test's "N passed, N failed" to ours.
add_summary() {   # name logfile exit-status
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$2" | tail -n 1)
    if [ -z "$line" ]; then cat "$2"; fail "$1: exited $3 with no summary"; return; fi
    p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed*}
    [ "$3" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    [ "$f" -ne 0 ] && cat "$2"
    PASS=$((PASS + p)); FAILN=$((FAILN + f))
    echo "$1: $line"
}

# ---- Turtle syntax and the bundle
TTL_PARSER=serdi
command -v serdi >/dev/null 2>&1 || TTL_PARSER=sordi   # sordi is in the deps list; serdi may not be
ttl_ok() { "$TTL_PARSER" -i turtle -o ntriples "$1" >/dev/null; }
if [ ! -f "$BUNDLE/continuo.so" ]; then
    fail "the bundle $BUNDLE is not built (make)"
    summary; exit
fi
for f in presets/*.ttl "$BUNDLE"/*.ttl; do
    check "turtle syntax ($TTL_PARSER): $f" ttl_ok "$f"
done
minor=$(cut -d. -f2 VERSION); micro=$(cut -d. -f3 VERSION)
check "the bundle's lv2:minorVersion $minor and lv2:microVersion $micro come from VERSION" \
    sh -c 'grep -q "lv2:minorVersion $1 ;" "$0" && grep -q "lv2:microVersion $2 ;" "$0"' "$BUNDLE/continuo.ttl" "$minor" "$micro"
check "doap:license, doap:maintainer and pprops:notOnGUI (latency) in the description" \
    sh -c 'grep -q "doap:license" "$0" && grep -q "doap:maintainer" "$0" && grep -q "pprops:notOnGUI" "$0"' "$BUNDLE/continuo.ttl"
n_presets=$(ls presets/*.ttl | wc -l)
check "at least three presets ($n_presets)" [ "$n_presets" -ge 3 ]
for f in presets/*.ttl; do
    b=$(basename "$f")
    check "preset $b is listed in the manifest" grep -q "<$b>" "$BUNDLE/manifest.ttl"
done
timeout -k 5 120 lv2_validate "$BUNDLE"/*.ttl >"$T/validate.log" 2>&1
check "lv2_validate: Found 0 errors" grep -q "Found 0 errors" "$T/validate.log" || grep -v Skipping "$T/validate.log"
check "only lv2_descriptor is exported" \
    [ "$(nm -D --defined-only "$BUNDLE/continuo.so" | awk '{print $3}' | grep -v '^_' | tr '\n' ' ')" = "lv2_descriptor " ]

# ---- the lilv harness (ASan+UBSan) and the real-time guard
LV2_PATH=$T/lv2 timeout -k 5 300 "$BUILD/san/lv2-harness" >"$T/harness.log" 2>&1
add_summary "lilv harness (ASan+UBSan)" "$T/harness.log" $?
LV2_PATH=$T/lv2 timeout -k 5 300 "$BUILD/lv2-rt" --guard >"$T/guard.log" 2>&1
add_summary "malloc/lock guard on run()" "$T/guard.log" $?

# ---- a real host: jackd (dummy) + jalv
missing=""
for tool in jackd jalv jack_midiseq jack_midi_dump jack_transport jack_connect jack_lsp jack_wait; do
    command -v $tool >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
    fail "jalv test: missing$missing (make test installs them: tests/deps.sh test)"
    summary; exit
fi
# The shipped model when the bundle has one, else the small test model.
if [ -f "$BUNDLE/default.cnm" ]; then
    echo "jalv test: with the shipped model $BUNDLE/default.cnm"
    unset CONTINUO_MODEL
else
    "$BUILD/lv2-rt" --make-model "$T/test.cnm" && export CONTINUO_MODEL=$T/test.cnm
    echo "jalv test: no default.cnm in the bundle yet; with a small test model"
fi
# A fixed name: JACK reclaims a dead server's registry entry only under the same name.
export JACK_DEFAULT_SERVER=continuo-lv2
export JACK_NO_AUDIO_RESERVATION=1
jackd -n "$JACK_DEFAULT_SERVER" --no-realtime -d dummy -r 48000 -p 256 >"$T/jackd.log" 2>&1 &
JACKD=$!
if ! jack_wait -w -t 20 >/dev/null 2>&1; then
    cat "$T/jackd.log"; fail "jackd (dummy backend) did not start"; summary; exit
fi
mkfifo "$T/jalv.in" "$T/transport.in"
LV2_PATH=$T/lv2 jalv -n dut -c thru=0 -c channel_out=2 -c mode=1 urn:continuo:continuo <"$T/jalv.in" >"$T/jalv.log" 2>&1 &
CLIENTS="$CLIENTS $!"
exec 3>"$T/jalv.in"          # jalv quits on EOF: keep its stdin open
jack_transport <"$T/transport.in" >"$T/transport.log" 2>&1 &
CLIENTS="$CLIENTS $!"
exec 4>"$T/transport.in"
ports_up() { timeout 10 jack_lsp 2>/dev/null | grep -q '^dut:in$' && timeout 10 jack_lsp 2>/dev/null | grep -q '^dut:out$'; }
if ! wait_for 200 ports_up; then
    cat "$T/jalv.log"; jack_lsp; fail "jalv did not create dut:in and dut:out"; summary; exit
fi
ok "jalv hosts the plugin (ports dut:in, dut:out)"
# a two-note call every 4 s (at 120 bpm: notes at beats 0 and 0.5, then 7 beats of rest)
jack_midiseq seq 96000 0 60 8000 12000 64 8000 >"$T/seq.log" 2>&1 &
CLIENTS="$CLIENTS $!"
jack_midi_dump -a mon >"$T/dump.log" 2>&1 &
CLIENTS="$CLIENTS $!"
have_port() { timeout 10 jack_lsp 2>/dev/null | grep -q "^$1\$"; }
wait_for 100 have_port seq:out && wait_for 100 have_port mon:input
timeout 20 jack_connect dut:out mon:input && timeout 20 jack_connect seq:out dut:in
check "MIDI connected: seq -> dut -> mon" [ $? -eq 0 ]
printf 'master\ntempo 120\nplay\n' >&4
answered() { grep -Eq ': 91 [0-9a-f]{2} [0-9a-f]{2} note on' "$T/dump.log"; }
if wait_for 300 answered; then
    ok "the call is answered on channel 2 through jalv"
else
    fail "no answer on channel 2 within 30 s"; tail -n 20 "$T/dump.log"; tail -n 20 "$T/jalv.log"
fi
# stop while it answers: wait for a sounding note of the answer, then stop the transport
held_now() {   # notes on channel 2 sounding at the end of the dump (CC123 there ends them all)
    awk '$2 == "91" && $6 == "on" { h[$3]++ } $2 == "81" || ($2 == "91" && $4 == "00") { if (h[$3] > 0) h[$3]-- }
         $2 == "b1" && $3 == "7b" { for (k in h) h[k] = 0 }
         END { n = 0; for (k in h) n += h[k]; exit n > 0 ? 0 : 1 }' "$T/dump.log"
}
check "a note of the answer sounds" wait_for 300 held_now
before=$(wc -l <"$T/dump.log")
# the stop comes from a one-shot jack_transport client (any client may stop the transport):
# a second command written later into the first client's stdin was, once in a while, never read
printf 'stop\nquit\n' | timeout -k 5 20 jack_transport >"$T/transport-stop.log" 2>&1
cc123_after_stop() { tail -n +"$((before + 1))" "$T/dump.log" | grep -Eq ': b1 7b 00'; }
if wait_for 100 cc123_after_stop; then
    ok "the transport stop sends CC123 on channel 2"
else
    fail "the transport stop sends CC123 on channel 2"
    echo "dump after the stop (from line $before):"; tail -n +"$((before + 1))" "$T/dump.log" | head -n 20
    echo "transport:"; tail -n 5 "$T/transport.log" "$T/transport-stop.log"
fi
# (the dump may still be writing what came with the stop: wait for it; a note-off lost in a
# cycle the loaded server dropped is ended by the panic's CC123, which the next blocks repeat)
all_ended() { ! held_now; }
check "every note of the answer ends after the stop (note-off or CC123)" wait_for 50 all_ended
summary
