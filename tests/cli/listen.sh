#!/bin/sh
# listen.sh: the listening yardstick, continuo-eval --listen, end to end with the shipped
# model on a tiny corpus written here (arpeggios of quarter notes, whose real features are
# known): offline and --live, the table and the JSON hold every feature with values in
# range and the real medians the pieces have; the same --rng repeats; the reference
# (--reference files: the same pieces overlap fully); --pieces, --split
# (with a small model trained here), --render (MIDI, PNG roll, WAV when fluidsynth is
# installed); and bad input (a missing file, a broken file, bad flag values, offline-only
# flags with --live, --split on a corpus that splits otherwise) gives a clear message and
# a non-zero exit status.
. "$(dirname "$0")/../lib.sh"
EVAL=$BUILD/continuo-eval
MODEL=$ROOT/presets/default.cnm
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
W=$(mktemp -d /tmp/cn_listen_test.XXXXXX)
trap 'rm -rf "$W"' EXIT
unset CONTINUO_MODEL
[ -x "$EVAL" ] || { fail "$EVAL is not built"; summary; exit 1; }
[ -f "$MODEL" ] || { fail "$MODEL is missing"; summary; exit 1; }

# ---- four pieces: 64 beats of a rising major arpeggio in quarter notes (half a beat held),
# at 100 bpm in 4/4, each in another key, velocity 72. Every piece's real continuation has:
# an onset on every beat, range 12, p90 length 0.5, each note sounding at 2 of the 4 points of
# its beat, group run 1, one distinct interval, velocity spread 0, no long notes, and pitch
# classes that agree with the seed's (r = 1).
mkdir -p "$W/corpus" "$W/empty"
$PY - "$W/corpus" <<'EOF' || { fail "python3 wrote the test pieces"; summary; exit 1; }
import struct, sys
def vlq(n):
    b = [n & 0x7F]; n >>= 7
    while n: b.append(0x80 | (n & 0x7F)); n >>= 7
    return bytes(reversed(b))
for k, tonic in enumerate([60, 62, 65, 67]):
    ev = []
    for beat in range(64):
        p = tonic + [0, 4, 7, 12][beat % 4]
        ev += [(beat * 480, 1, p, 72), (beat * 480 + 240, 0, p, 0)]
    ev.sort(key=lambda e: (e[0], e[1]))
    trk, last = b"\x00\xFF\x51\x03\x09\x27\xC0\x00\xFF\x58\x04\x04\x02\x18\x08", 0
    for t, on, p, v in ev:
        trk += vlq(t - last) + bytes([0x90 if on else 0x80, p, v]); last = t
    trk += b"\x00\xFF\x2F\x00"
    open("%s/arp%d.mid" % (sys.argv[1], k), "wb").write(
        b"MThd" + struct.pack(">IHHH", 6, 0, 1, 480) + b"MTrk" + struct.pack(">I", len(trk)) + trk)
EOF

FEATURES="pitch_class_agreement long_note_share note_length_p90 notes_sounding onsets_per_beat pitch_range longest_group_run distinct_ioi velocity_spread"

# check_json FILE MODE SPAN: every feature, values in range, the real medians known
check_json() {
    $PY - "$1" "$2" "$3" "$FEATURES" <<'EOF'
import json, math, sys
r = json.load(open(sys.argv[1])); mode = sys.argv[2]; span = float(sys.argv[3]); names = sys.argv[4].split()
bad = []
if r.get("mode") != mode: bad.append("mode %r" % r.get("mode"))
if r.get("pieces") != 4 or len(r.get("per_piece", [])) != 4: bad.append("pieces %r" % r.get("pieces"))
f = r.get("features", {})
# one onset on every whole beat of the span, each sounding at 2 of the 1/4-beat points
onsets = math.ceil(span); points = math.ceil(span * 4)
real = {"pitch_class_agreement": 1, "long_note_share": 0, "note_length_p90": 0.5, "notes_sounding": 2 * onsets / points,
        "onsets_per_beat": onsets / span, "pitch_range": 12, "longest_group_run": 1, "distinct_ioi": 1, "velocity_spread": 0}
lo = {"pitch_class_agreement": -1}
hi = {"pitch_class_agreement": 1, "long_note_share": 1, "pitch_range": 127}
for n in names:
    x = f.get(n)
    if not x: bad.append("no feature " + n); continue
    for k in ("generated_median", "real_median", "overlap"):
        if not isinstance(x.get(k), (int, float)) or math.isnan(x[k]): bad.append("%s.%s = %r" % (n, k, x.get(k)))
    if bad: continue
    if not 0 <= x["overlap"] <= 1: bad.append("%s overlap %g" % (n, x["overlap"]))
    if not lo.get(n, 0) <= x["generated_median"] <= hi.get(n, 1e9): bad.append("%s generated %g" % (n, x["generated_median"]))
    if abs(x["real_median"] - real[n]) > 1e-4: bad.append("%s real %g, not %g" % (n, x["real_median"], real[n]))  # 6 digits
    for p in r["per_piece"]:
        if set(p["generated"]) != set(names) or set(p["real"]) != set(names): bad.append("per-piece keys")
m = r.get("mean_overlap")
if not (isinstance(m, (int, float)) and 0 <= m <= 1): bad.append("mean_overlap %r" % m)
elif bad == [] and abs(m - sum(f[n]["overlap"] for n in names) / len(names)) > 1e-4: bad.append("mean_overlap is not the mean")
for p in r.get("per_piece", []):
    if abs(p["span"] - span) > 1e-6: bad.append("span %g, not %g" % (p["span"], span))
    if p["offset"] != 0: bad.append("offset %g" % p["offset"])
if bad: print("; ".join(bad[:6])); sys.exit(1)
EOF
    [ $? -eq 0 ] || echo "(the JSON check failed)"
}

# ---- offline ----
"$EVAL" --listen -m "$MODEL" --primer-beats 8 --cont-beats 16 --rng 3 "$W/corpus" >"$W/off.txt" 2>"$W/off.err"
check "offline: exits 0" test $? -eq 0
missing=""
for f in $FEATURES "mean overlap"; do grep -q "^$f " "$W/off.txt" || missing="$missing $f"; done
check "offline: the table has every feature and the mean overlap${missing:+ (missing:$missing)}" test -z "$missing"
check "offline: the table says 4 pieces, offline" grep -q "^4 pieces measured, 0 skipped" "$W/off.txt"
"$EVAL" --listen -m "$MODEL" --primer-beats 8 --cont-beats 16 --rng 3 --json "$W/corpus" >"$W/off.json" 2>"$W/off.err"
check "offline --json: exits 0" test $? -eq 0
out=$(check_json "$W/off.json" offline 16 2>&1)
check "offline --json: every feature, in range, the real medians the pieces have $out" test -z "$out"
"$EVAL" --listen -m "$MODEL" --primer-beats 8 --cont-beats 16 --rng 3 --json "$W/corpus" 2>/dev/null \
    | sed 's/"seconds": [0-9.]*//' >"$W/off2.json"
sed 's/"seconds": [0-9.]*//' "$W/off.json" >"$W/off1.json"
check "offline: the same --rng gives the same report" cmp -s "$W/off1.json" "$W/off2.json"
"$EVAL" --listen -m "$MODEL" --primer-beats 8 --cont-beats 16 --temperature 0.9 --top-p 0.95 --max-run 3 --key auto \
    --pieces 2 "$W/corpus" >"$W/p2.txt" 2>&1
check "--pieces 2 and the sampling flags: 2 pieces measured" grep -q "^2 pieces measured" "$W/p2.txt"
check "the table shows the sampling used" grep -q "temperature 0.9, top-k 0, top-p 0.95, .*max run 3, key auto" "$W/p2.txt"

# ---- the reference: other pieces' real continuations beside these real ones ----
check "without --reference or --split the table has no reference" grep -q "^mean overlap .* -$" "$W/off.txt"
$PY -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r["reference"]["pieces"] == 0 and r["mean_reference_overlap"] is None else 1)' "$W/off.json"
check "... nor the JSON (0 pieces, null)" test $? -eq 0
"$EVAL" --listen -m "$MODEL" --primer-beats 8 --cont-beats 16 --json --reference "$W/corpus" "$W/corpus/arp0.mid" "$W/corpus/arp1.mid" >"$W/ref.json" 2>&1
$PY - "$W/ref.json" "$FEATURES" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
# the reference's four arpeggios have the same real features as these two: every overlap is 1
ok = r["reference"]["pieces"] == 4 and abs(r["mean_reference_overlap"] - 1) < 1e-9 and \
     all(abs(r["features"][n]["reference_overlap"] - 1) < 1e-9 for n in sys.argv[2].split())
sys.exit(0 if ok else 1)
EOF
check "--reference: pieces like these overlap them fully (1 for every feature)" test $? -eq 0
printf 'MThd\000\000\000\006\000\001' > "$W/refbroken.mid"
"$EVAL" --listen -m "$MODEL" --primer-beats 8 --cont-beats 16 --reference "$W/corpus/arp2.mid" --reference "$W/refbroken.mid" \
    "$W/corpus/arp0.mid" >"$W/ref.txt" 2>&1
check "--reference twice; a broken reference file is left out: 1 other piece" grep -q "those of 1 other pieces (--reference files)" "$W/ref.txt"

# ---- live: the answer is as long as the call (onsets 0..7, last note-off 7.5) ----
"$EVAL" --listen --live -m "$MODEL" --primer-beats 8 --cont-beats 16 --rng 3 --json "$W/corpus" >"$W/live.json" 2>"$W/live.err"
check "--live --json: exits 0" test $? -eq 0
out=$(check_json "$W/live.json" live 7.5 2>&1)
check "--live --json: every feature, in range, the real medians the pieces have $out" test -z "$out"
"$EVAL" --listen --live -m "$MODEL" --primer-beats 8 --cont-beats 16 --rng 3 "$W/corpus" >"$W/live.txt" 2>&1
check "--live: the table says live engine" grep -q "live engine (call and response" "$W/live.txt"
check "--live: the live engine's sampling defaults" grep -q "temperature 1, top-p 0.95" "$W/live.txt"

# ---- --split: the held-out piece of a small model trained here on the same corpus ----
$BUILD/continuo-train --spec lstm:16 --epochs 1 --seq-len 32 --batch 8 --threads 1 --no-checkpoint \
    --progress plain -o "$W/m.cnm" "$W/corpus" >"$W/train.log" 2>&1
check "a small model trains for the test" test -s "$W/m.cnm"
"$EVAL" --listen -m "$W/m.cnm" --split test --primer-beats 8 --cont-beats 16 -q >"$W/split.txt" 2>&1
check "--split test measures the model's held-out piece" grep -q "test split" "$W/split.txt"
check "--split test: one piece" grep -q "^1 pieces measured" "$W/split.txt"
check "--split test: the reference is the val split" grep -q "(the val split)" "$W/split.txt"

# ---- rendering ----
"$EVAL" --listen -m "$MODEL" --primer-beats 8 --cont-beats 16 --render "$W/out" --render-pieces 1 "$W/corpus" >/dev/null 2>"$W/render.err"
check "--render: exits 0" test $? -eq 0
for f in 00-arp0.gen.mid 00-arp0.real.mid 00-arp0.gen.png 00-arp0.real.png; do
    check "--render writes $f" test -s "$W/out/$f"
done
check "--render writes one piece only" test ! -e "$W/out/01-arp1.gen.mid"
check "the roll is a PNG" sh -c "head -c 8 '$W/out/00-arp0.gen.png' | od -An -c | grep -q 'P   N   G'"
real_notes=$(midicsv "$W/out/00-arp0.real.mid" | awk -F', *' '$3=="Note_on_c" && $6>0' | wc -l)
check "the real render holds the seed and the real continuation (24 notes: $real_notes)" test "$real_notes" -eq 24
if command -v fluidsynth >/dev/null 2>&1 && [ -f /usr/share/sounds/sf2/FluidR3_GM.sf2 ]; then
    check "--render writes WAV with fluidsynth" sh -c "head -c 4 '$W/out/00-arp0.gen.wav' | grep -q RIFF"
else
    check "without fluidsynth, --render says why there is no WAV" grep -q "no WAV" "$W/render.err"
fi
"$EVAL" --listen -m "$MODEL" --primer-beats 8 --cont-beats 16 --render "$W/out" --render-pieces 1 --roll-format svg \
    "$W/corpus/arp1.mid" >/dev/null 2>&1
check "--roll-format svg writes an SVG roll" grep -q "<svg" "$W/out/00-arp1.gen.svg"

# ---- bad input: a clear message and the exit status ----
expect() {   # expect DESC STATUS PATTERN ARGS...: exit status STATUS and PATTERN on stderr
    desc=$1; want=$2; pat=$3; shift 3
    "$EVAL" --listen -m "$MODEL" "$@" >"$W/bad.out" 2>"$W/bad.err"
    rc=$?
    if [ "$rc" -eq "$want" ] && grep -q -- "$pat" "$W/bad.err"; then ok "$desc"
    else fail "$desc (exit $rc, want $want; stderr: $(head -c 300 "$W/bad.err"))"; fi
}
expect "a missing file: its name and exit 1" 1 "nothere.mid" "$W/nothere.mid"
printf 'MThd\000\000\000\006\000\001' > "$W/broken.mid"
expect "a broken file alone: skipped by name, nothing measured, exit 1" 1 "skipped.*broken.mid" "$W/broken.mid"
grep -q "no piece could be measured" "$W/bad.err"; check "... and says nothing could be measured" test $? -eq 0
expect "a folder without MIDI files: said, exit 1" 1 "no MIDI files" "$W/empty"
expect "a piece too short is skipped with the reason" 1 "shorter than the seed and the continuation" --cont-beats 100 "$W/corpus/arp0.mid"
expect "--primer-beats 0: the flag and its range, exit 2" 2 "--primer-beats wants a number from 1" --primer-beats 0 "$W/corpus"
expect "--cont-beats abc: the flag, exit 2" 2 "--cont-beats wants a number" --cont-beats abc "$W/corpus"
expect "--pieces 1.5: a whole number, exit 2" 2 "--pieces wants a whole number" --pieces 1.5 "$W/corpus"
expect "--temperature 9: the range, exit 2" 2 "--temperature wants a number from 0 to 2" --temperature 9 "$W/corpus"
expect "--split train: test or val, exit 2" 2 "--split is test or val" --split train
expect "--roll-format gif: png or svg, exit 2" 2 "--roll-format is png or svg" --roll-format gif "$W/corpus"
expect "no pieces given: said, exit 2" 2 "give MIDI files or folders"
expect "an unknown flag: named as every tool names it, exit 2" 2 "unknown option '--bogus' (see continuo-eval --listen --help)" --bogus 1 "$W/corpus"
expect "--live with --top-k: an offline option, exit 2" 2 "--top-k is an offline option" --live --top-k 5 "$W/corpus"
expect "--live with --cont-beats 100: at most 64, exit 2" 2 "at most 64" --live --cont-beats 100 "$W/corpus"
expect "--reference with --split: said, exit 2" 2 "with --split the reference is the other" --split test --reference "$W/corpus"
expect "--reference with --no-reference: said, exit 2" 2 "contradict" --reference "$W/corpus" --no-reference "$W/corpus"
expect "--split on a corpus that splits otherwise: said, exit 1" 1 "splits into" --split test --corpus "$W/corpus"
"$EVAL" --listen -m "$W/nomodel.cnm" "$W/corpus" >/dev/null 2>"$W/bad.err"
rc=$?
check "a missing model: named, exit 1 (exit $rc)" sh -c "[ $rc -eq 1 ] && grep -q nomodel.cnm '$W/bad.err'"
summary
