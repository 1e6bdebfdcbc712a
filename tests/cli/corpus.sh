#!/bin/sh
# corpus.sh: continuo-tokens on every file of ../shared/corpus/piano-midi, in both encodings:
# every file succeeds, the printed streams match the summary, and the round trip holds
# (event: onsets within half a grid step, durations and velocities kept; paper: pitches of
# single notes and pitch classes of chords). Skips with a message when the corpus is absent.
. "$(dirname "$0")/../lib.sh"
TOK=$BUILD/continuo-tokens
CORPUS=$SHARED/corpus/piano-midi
if [ ! -d "$CORPUS" ]; then
    echo "skip: no corpus at $CORPUS (set CONTINUO_SHARED to the shared folder)"
    summary; exit $?
fi
T=$(mktemp -d /tmp/continuo-corpus-XXXXXX)
trap 'rm -rf "$T"' EXIT
nfiles=$(find "$CORPUS" -type f \( -iname '*.mid' -o -iname '*.midi' \) | wc -l)

field() { sed -n "s/.*$1 \([0-9.]*\).*/\1/p" "$2" | head -n 1; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }

for enc in event paper; do
    "$TOK" --encoding $enc --stats "$CORPUS" > "$T/$enc.out" 2> "$T/$enc.err"
    rc=$?
    cat "$T/$enc.err"
    check "$enc: continuo-tokens exits 0 on the corpus" test $rc -eq 0
    check "$enc: all $nfiles files read, none failed" grep -q "files $nfiles, failed 0," "$T/$enc.err"
    tokens=$(field "tokens" "$T/$enc.err")
    lines=$(grep -vc '^#' "$T/$enc.out")
    check "$enc: printed token lines ($lines) = tokens in the summary ($tokens)" test "$lines" = "$tokens"
    check "$enc: one stream per file" test "$(grep -c '^# ' "$T/$enc.out")" -eq "$nfiles"
    check "$enc: every line is \"id name\"" test "$(grep -v '^#' "$T/$enc.out" | grep -cvE '^[0-9]+ [^ ]+$')" -eq 0
done

e=$T/event.err
check "event: ids within the fixed vocabulary of 320" awk '!/^#/ && ($1 < 0 || $1 >= 320) { bad = 1 } END { exit bad }' "$T/event.out"
check "event: onset error at most half a step (0.0417 beat)" le "$(field "onset error max" "$e")" 0.04168   # half a step, 0.041667, as printed to 5 places
check "event: at least 99.9% of notes come back (same pitch, same step)" ge "$(sed -n 's/.*notes out\/in [0-9]*\/[0-9]* (\([0-9.]*\)%.*/\1/p' "$e")" 99.9
check "event: every source note has its pitch back within half a step" ge "$(field 'within half a step:' "$e")" 100
check "event: durations within half a step for >= 99.9% of notes" ge "$(field 'within half a step' "$e" )" 99.9
check "event: velocity within its bin for >= 99.9% of notes" ge "$(field 'same bin' "$e")" 99.9
p=$T/paper.err
check "paper: single-note pitches all exact" ge "$(field 'single-note pitch exact' "$p")" 100
check "paper: chord pitch-class sets all kept" ge "$(field 'chord pitch-class set kept' "$p")" 100
check "paper: no unknown tokens with the corpus vocabulary" grep -q 'unknown tokens 0$' "$p"
summary
