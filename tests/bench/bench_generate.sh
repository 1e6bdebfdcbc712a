#!/bin/sh
# bench_generate.sh: offline continuation and evaluation speed on a model of the report's
# Model 1 size (paper-m1, event encoding; weights after a few batches, which do not change
# the speed), on the shipped seed phrase and, for continuo-eval, a few corpus pieces.
# Prints generate.tokens_per_s, eval.tokens_per_s and ngram.seconds.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${CONTINUO_SHARED:-$ROOT/../shared}
CORPUS=$SHARED/corpus/piano-midi
B=$ROOT/build
W=$(mktemp -d /tmp/cn_bench_generate.XXXXXX)
trap 'rm -rf "$W"' EXIT
now() { date +%s.%N; }
mkdir -p "$W/c"
for i in 1 2 3; do "$B/continuo-makeseed" -o "$W/c/p$i.mid" >/dev/null; done
"$B/continuo-train" --spec paper-m1 --epochs 1 --seq-len 32 --batch 4 --threads 1 --no-checkpoint \
    --progress plain -o "$W/m.cnm" "$W/c" >"$W/log" 2>&1 || { cat "$W/log" >&2; exit 1; }
t0=$(now)
out=$("$B/continuo-generate" -m "$W/m.cnm" --primer "$ROOT/presets/seed.mid" -o "$W/g.mid" --notes 400 --rng 1) || exit 1
t1=$(now)
tok=$(echo "$out" | sed -n 's/.*(\([0-9]*\) tokens.*/\1/p' | head -n 1)
awk -v n="$tok" -v a="$t0" -v b="$t1" 'BEGIN { printf "generate.tokens_per_s: %.0f tokens/s\n", n / (b - a) }'
if [ ! -d "$CORPUS" ]; then echo "eval bench skipped: no corpus at $CORPUS" >&2; exit 0; fi
find "$CORPUS" -iname '*.mid' | sort | head -n 40 >"$W/list"
set -- $(head -n 4 "$W/list")
t0=$(now)
"$B/continuo-eval" -q -m "$W/m.cnm" --json --windows 0 --no-ngram "$@" >"$W/e.json" || exit 1
t1=$(now)
tok=$(sed -n 's/.*"tokens": \([0-9]*\).*/\1/p' "$W/e.json")
awk -v n="$tok" -v a="$t0" -v b="$t1" 'BEGIN { printf "eval.tokens_per_s: %.0f tokens/s\n", n / (b - a) }'
mkdir -p "$W/ng" && for f in $(tail -n +5 "$W/list"); do ln -s "$f" "$W/ng/"; done
t2=$(now)
"$B/continuo-eval" -q -m "$W/m.cnm" --json --windows 0 --ngram-train "$W/ng" "$@" >"$W/n.json" || exit 1
t3=$(now)
ntok=$(sed -n 's/.*"ngram_train_tokens": \([0-9]*\).*/\1/p' "$W/n.json")
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v n="$ntok" \
    'BEGIN { printf "ngram.seconds: %.2f s\n", (d - c) - (b - a) }'
echo "(ngram.seconds: Kneser-Ney up to order 6 trained on $ntok tokens, order chosen on a tenth, scored)" >&2
