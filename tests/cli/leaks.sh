#!/bin/sh
# leaks.sh: the offline tools' error paths under ASan+UBSan with LeakSanitizer on (issue 10,
# point 11): bad options, missing and broken files, a corrupt model. Each must exit with its
# documented status (2 usage, 1 runtime) and a message, with no leak and no sanitizer report.
# The tools are build/san/continuo-* (tests/cli/cli.mk), built by `make test`.
. "$(dirname "$0")/../lib.sh"
cd "$ROOT" || exit 1
T=$(mktemp -d "${TMPDIR:-/tmp}/continuo-leaks-XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
S=$BUILD/san
for t in tokens eval generate info train makeseed; do
    [ -x "$S/continuo-$t" ] || { fail "$S/continuo-$t is not built (make build-tests)"; summary; exit 1; }
done
# fontconfig (under cairo) keeps its cache for the life of the process by design
printf 'leak:libfontconfig.so\n' >"$T/lsan.supp"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 LSAN_OPTIONS="suppressions=$T/lsan.supp" UBSAN_OPTIONS=halt_on_error=1
printf 'MThd\000\000\000\006\000\001\000\002\001\340MTrk\000\000\377\377garbage' >"$T/broken.mid"
head -c 700 presets/default.cnm >"$T/cut.cnm"
mkdir "$T/empty"

# runs STATUS TOOL ARGS...: the exit status is STATUS, stderr says something, and no
# sanitizer spoke
runs() {
    want=$1; tool=$2; shift 2
    "$S/continuo-$tool" "$@" >"$T/out" 2>"$T/err" </dev/null
    rc=$?
    if [ "$rc" -ne "$want" ] || [ ! -s "$T/err" ] || grep -q 'Sanitizer\|runtime error' "$T/err"; then
        echo "  continuo-$tool $*: exit $rc (want $want)"; sed -n 1,12p "$T/err"; return 1
    fi
    return 0
}
case_() { desc=$1; shift; check "$desc" runs "$@"; }

case_ "tokens: an unknown option"            2 tokens --no-such-option presets/seed.mid
case_ "tokens: a bad --encoding"             2 tokens --encoding bogus presets/seed.mid
case_ "tokens: a bad --transpose"            2 tokens --transpose x presets/seed.mid
case_ "tokens: a missing value"              2 tokens --encoding
case_ "tokens: a broken MIDI file"           1 tokens "$T/broken.mid"
case_ "tokens: a file that is not there"     1 tokens "$T/nothere.mid"
case_ "tokens: a broken file beside a good one (skipped)" 0 tokens -q "$T/broken.mid" presets/seed.mid
case_ "eval: a model that is not there"      1 eval -m "$T/nothere.cnm" presets/seed.mid
case_ "eval: a corrupt model"                1 eval -m "$T/cut.cnm" presets/seed.mid
case_ "eval: only a broken MIDI file"        1 eval -m presets/default.cnm --no-ngram "$T/broken.mid"
case_ "eval: --temperature out of range"     2 eval --temperature 5 presets/seed.mid
case_ "eval: a broken file beside a good one (skipped)" 0 eval -m presets/default.cnm --no-ngram --windows 0 "$T/broken.mid" presets/seed.mid
case_ "eval --listen: a broken MIDI file"    1 eval --listen -m presets/default.cnm "$T/broken.mid"
case_ "generate: a broken primer"            1 generate -m presets/default.cnm --primer "$T/broken.mid" -o "$T/o.mid"
case_ "generate: a corrupt model"            1 generate -m "$T/cut.cnm" --primer presets/seed.mid -o "$T/o.mid"
case_ "generate: --beats too many"           2 generate --primer presets/seed.mid --beats 100000 -o "$T/o.mid"
case_ "generate: an unknown option"          2 generate --no-such-option
case_ "info: a corrupt model"                1 info "$T/cut.cnm"
case_ "info: a model that is not there"      1 info "$T/nothere.cnm"
case_ "train: a bad --spec"                  2 train --spec lstm:x -o "$T/m.cnm" presets
case_ "train: a corpus with no MIDI"         1 train --epochs 1 -o "$T/m.cnm" "$T/empty"
case_ "train: a bad --lr"                    2 train --lr -1 -o "$T/m.cnm" presets
case_ "makeseed: an unknown option"          2 makeseed --no-such-option
summary
