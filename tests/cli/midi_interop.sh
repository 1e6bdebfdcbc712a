#!/bin/sh
# midi_interop.sh: files continuo writes are read by other tools. A small song is made with
# csvmidi, read by continuo-tokens, encoded (event), decoded and written back with --write;
# midicsv and python3-mido then read the written file: tempo, meter, program, every note
# (pitch, onset and duration within half a grid step, velocity within its bin), and every
# note-on paired with a note-off. Each tool that is missing is skipped with a message.
. "$(dirname "$0")/../lib.sh"
TOK=$BUILD/continuo-tokens
T=$(mktemp -d /tmp/continuo-interop-XXXXXX)
trap 'rm -rf "$T"' EXIT

if ! command -v csvmidi >/dev/null 2>&1 || ! command -v midicsv >/dev/null 2>&1; then
    echo "skip: midicsv/csvmidi not installed (Debian package midicsv)"
    summary; exit $?
fi
cat > "$T/in.csv" <<'CSV'
0, 0, Header, 1, 2, 480
1, 0, Start_track
1, 0, Tempo, 600000
1, 0, Time_signature, 3, 2, 24, 8
1, 0, End_track
2, 0, Start_track
2, 0, Program_c, 0, 40
2, 0, Note_on_c, 0, 60, 100
2, 0, Note_on_c, 0, 64, 90
2, 480, Note_off_c, 0, 60, 0
2, 480, Note_off_c, 0, 64, 0
2, 480, Note_on_c, 0, 67, 50
2, 640, Note_off_c, 0, 67, 0
2, 640, Note_on_c, 0, 69, 30
2, 800, Note_on_c, 0, 69, 0
2, 800, Note_on_c, 0, 71, 120
2, 960, Note_off_c, 0, 71, 0
2, 960, Note_on_c, 0, 72, 127
2, 1080, Note_off_c, 0, 72, 0
2, 1090, End_track
0, 0, End_of_file
CSV
# expected notes: pitch start_beat dur_beat velocity
EXPECT="60 0 1 100
64 0 1 90
67 1 0.3333333 50
69 1.3333333 0.3333333 30
71 1.6666667 0.3333333 120
72 2 0.25 127"

check "csvmidi makes the input file" csvmidi "$T/in.csv" "$T/in.mid"
check "continuo-tokens reads, encodes, decodes and writes it" "$TOK" --quiet --write "$T/out.mid" "$T/in.mid"
[ -s "$T/out.mid" ] || { fail "no output file"; summary; exit 1; }

midicsv "$T/out.mid" > "$T/out.csv" 2>"$T/midicsv.err"
check "midicsv reads the written file without complaint" test ! -s "$T/midicsv.err"
check "midicsv: tempo 600000 us (100 bpm)" grep -q 'Tempo, 600000$' "$T/out.csv"
check "midicsv: time signature 3/4" grep -q 'Time_signature, 3, 2,' "$T/out.csv"
check "midicsv: program 40" grep -q 'Program_c, 0, 40$' "$T/out.csv"
check "midicsv: every track ends" test "$(grep -c End_track "$T/out.csv")" -eq "$(grep -c Start_track "$T/out.csv")"
ons=$(awk -F', ' '$3=="Note_on_c" && $6>0' "$T/out.csv" | wc -l)
offs=$(awk -F', ' '$3=="Note_off_c" || ($3=="Note_on_c" && $6==0)' "$T/out.csv" | wc -l)
check "midicsv: 6 note-ons and 6 note-offs" test "$ons" -eq 6 -a "$offs" -eq 6

# midicsv's notes (ticks converted with the header's division) against the expected list
div=$(awk -F', ' '$3=="Header"{print $6}' "$T/out.csv")
awk -F', ' -v div="$div" '
    $3=="Note_on_c" && $6>0 { on[$5]=$2; vel[$5]=$6; next }
    ($3=="Note_off_c" || ($3=="Note_on_c" && $6==0)) && ($5 in on) { printf "%d %.7f %.7f %d\n", $5, on[$5]/div, ($2-on[$5])/div, vel[$5]; delete on[$5] }
' "$T/out.csv" | sort -n > "$T/got.txt"
echo "$EXPECT" > "$T/want.txt"
cmp_notes() {
    awk 'NR==FNR { w[$1]=$0; next }
         { split(w[$1], e, " "); n++
           if (!($1 in w) || (e[2]-$2)^2 > (1/24)^2 || (e[3]-$3)^2 > (1/24)^2 || (e[4]-$4)^2 > 16) bad++ }
         END { exit !(n == 6 && bad == 0) }' "$T/want.txt" "$1"
}
check "midicsv: notes within half a step and velocities within their bin" cmp_notes "$T/got.txt"

if /usr/bin/python3 -c 'import mido' 2>/dev/null; then
    /usr/bin/python3 - "$T/out.mid" > "$T/mido.txt" 2>"$T/mido.err" <<'PY'
import sys, mido
m = mido.MidiFile(sys.argv[1])
tpb = m.ticks_per_beat
sounding, notes, tempo, ts, prog = {}, [], None, None, None
for tr in m.tracks:
    t = 0
    for msg in tr:
        t += msg.time
        if msg.type == 'set_tempo': tempo = msg.tempo
        elif msg.type == 'time_signature': ts = (msg.numerator, msg.denominator)
        elif msg.type == 'program_change': prog = msg.program
        elif msg.type == 'note_on' and msg.velocity > 0:
            assert msg.note not in sounding, "note-on of a sounding note"
            sounding[msg.note] = (t, msg.velocity)
        elif msg.type in ('note_off', 'note_on'):
            on, vel = sounding.pop(msg.note)
            notes.append((msg.note, on / tpb, (t - on) / tpb, vel))
assert not sounding, "stuck notes: %s" % sounding
assert tempo == 600000 and ts == (3, 4) and prog == 40, (tempo, ts, prog)
for n in sorted(notes): print("%d %.7f %.7f %d" % n)
PY
    rc=$?
    check "python3-mido reads the file: tempo, meter, program, no stuck notes" test $rc -eq 0
    [ $rc -ne 0 ] && cat "$T/mido.err"
    check "python3-mido: notes within half a step and velocities within their bin" cmp_notes "$T/mido.txt"
else
    echo "skip: python3-mido not installed (Debian package python3-mido)"
fi
summary
