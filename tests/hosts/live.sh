#!/bin/sh
# live.sh: continuo-live. Its file mode (a seed MIDI file made here, played into the engine
# on a simulated clock, the output recorded to a MIDI file that must hold the seed and an
# answer after it, balanced and repeatable by seed), its bad-input messages, and its
# no-device error (PortMIDI sees no devices on machines without an ALSA sequencer).
. "$(dirname "$0")/../lib.sh"

LIVE=$BUILD/continuo-live
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
[ -x "$LIVE" ] || { fail "$LIVE is not built"; summary; exit 1; }
command -v midicsv >/dev/null && command -v csvmidi >/dev/null || { fail "midicsv/csvmidi not installed (apt-get install midicsv)"; summary; exit 1; }

MODEL="--random-model lstm:32"
if [ -n "$CONTINUO_MODEL" ] && [ -f "$CONTINUO_MODEL" ]; then MODEL="-m $CONTINUO_MODEL"
elif [ -f "$ROOT/presets/default.cnm" ]; then MODEL="-m $ROOT/presets/default.cnm"; fi
echo "model: $MODEL"

# The seed: 8 notes, C major up and down, at 100 bpm, 480 ticks a beat, on channel 1.
{
    echo "0, 0, Header, 1, 2, 480"
    echo "1, 0, Start_track"
    echo "1, 0, Tempo, 600000"
    echo "1, 0, End_track"
    echo "2, 0, Start_track"
    t=0
    for p in 60 62 64 65 67 65 64 62; do
        echo "2, $t, Note_on_c, 0, $p, 90"
        echo "2, $((t + 200)), Note_off_c, 0, $p, 0"
        t=$((t + 240))
    done
    echo "2, $t, End_track"
    echo "0, 0, End_of_file"
} > "$T/seed.csv"
csvmidi "$T/seed.csv" "$T/seed.mid"

"$LIVE" --in-file "$T/seed.mid" --out-file "$T/out.mid" $MODEL --rng 7 --channel-out 2 --mode call >"$T/log" 2>&1
rc=$?
cat "$T/log"
check "file mode exits 0" [ "$rc" -eq 0 ]
check "file mode writes a MIDI file" [ -s "$T/out.mid" ]
midicsv "$T/out.mid" > "$T/out.csv" 2>/dev/null
# seed ends at tick 8*240-40 = 1880; the answer (channel index 1) comes after it
seed_notes=$(awk -F', *' '$3 == "Note_on_c" && $4 == 0 && $6 > 0' "$T/out.csv" | wc -l)
ans_notes=$(awk -F', *' '$3 == "Note_on_c" && $4 == 1 && $6 > 0 && $2 >= 1880' "$T/out.csv" | wc -l)
early=$(awk -F', *' '$3 == "Note_on_c" && $4 == 1 && $6 > 0 && $2 < 1880' "$T/out.csv" | wc -l)
echo "seed notes passed through: $seed_notes; answer notes: $ans_notes"
check "the seed passes through (thru)" [ "$seed_notes" -eq 8 ]
check "the output continues the seed: answer notes after it" [ "$ans_notes" -gt 0 ]
check "no answer note before the seed has ended" [ "$early" -eq 0 ]
# The answer's window: it starts after one beat of silence (tick 1880+480 = 2360, on the
# grid) and lasts as long as the call (1880 ticks), so every answer note starts and ends in
# [2360, 4240].
outside=$(awk -F', *' '$4 == 1 && ($3 == "Note_on_c" || $3 == "Note_off_c") && ($2 < 2360 || $2 > 4240)' "$T/out.csv" | wc -l)
check "the answer lies in its window: after the silence, as long as the call" [ "$outside" -eq 0 ]

"$LIVE" --in-file "$T/seed.mid" --out-file "$T/out2.mid" $MODEL --rng 7 --channel-out 2 --mode call >/dev/null 2>&1
check "the same seed gives the same file" cmp -s "$T/out.mid" "$T/out2.mid"

"$LIVE" --in-file "$T/seed.mid" --out-file "$T/cont.mid" $MODEL --rng 7 --channel-out 2 --mode continuous --length 8 >/dev/null 2>&1
cont=$(midicsv "$T/cont.mid" 2>/dev/null | awk -F', *' '$3 == "Note_on_c" && $4 == 1 && $6 > 0' | wc -l)
check "continuous mode plays along ($cont notes)" [ "$cont" -gt 0 ]

# bad input: one clear message naming the file, non-zero exit, no output file
printf 'MThd\000\000\000\006\000\001' > "$T/broken.mid"
"$LIVE" --in-file "$T/broken.mid" --out-file "$T/bad.mid" $MODEL >"$T/log" 2>&1
rc=$?
check "a broken seed file is refused (exit $rc)" [ "$rc" -ne 0 ]
check "the message names the file" grep -q "broken.mid" "$T/log"
check "no output file is left" [ ! -e "$T/bad.mid" ]
"$LIVE" --in-file "$T/seed.mid" --out-file "$T/x.mid" --temperature 7 >"$T/log" 2>&1
rc=$?
check "an out-of-range flag is refused (exit $rc)" [ "$rc" -eq 2 ]
check "the message names the flag and the range" grep -q -- "--temperature.*0 to 2" "$T/log"

# No device: a clear message and exit 1, a runtime error (live mode only when PortMIDI sees none).
"$LIVE" --list >"$T/list" 2>/dev/null
if grep -q "no MIDI devices" "$T/list"; then
    "$LIVE" $MODEL >"$T/log" 2>&1
    rc=$?
    check "no device: exit 1" [ "$rc" -eq 1 ]
    check "no device: a clear message" grep -q "no MIDI devices" "$T/log"
else
    echo "(MIDI devices exist here; the no-device case is not exercised)"
    cat "$T/list"
fi
summary
