#!/bin/sh
# bench_trainer.sh: continuo-train's speed on the report's Model 1 at the trainer's real
# settings (seq-len 100, stride 50, loss on every step, batch 64, Adam, clip 1, 2 threads)
# on a subset of ../shared/corpus, and PyTorch trained on the very same batches beside it.
# Prints trainer.tokens_per_s, trainer.torch_tokens_per_s and trainer.ratio.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${CONTINUO_SHARED:-$ROOT/../shared}
CORPUS=$SHARED/corpus/piano-midi
BATCHES=${BENCH_TRAINER_BATCHES:-16}
FILES=${BENCH_TRAINER_FILES:-24}
if [ ! -d "$CORPUS" ]; then echo "trainer bench skipped: no corpus at $CORPUS" >&2; exit 0; fi
W=$(mktemp -d /tmp/cn_bench_trainer.XXXXXX)
trap 'rm -rf "$W"' EXIT
find "$CORPUS" -iname '*.mid' | sort | head -n "$FILES" >"$W/list"
"$ROOT/build/continuo-train" --spec paper-m1 --seq-len 100 --stride 50 --loss all --batch 64 --threads 2 \
    --epochs 1 --epoch-windows $((64 * BATCHES)) --val-windows 64 --split 10/3/0 --no-checkpoint --progress plain \
    --dump-batches "$W/batches.bin" -o "$W/m.cnm" "@$W/list" >"$W/log" 2>&1 || { cat "$W/log" >&2; exit 1; }
c=$(sed -n 's/.*, \([0-9]*\) in the training steps).*/\1/p' "$W/log")
echo "trainer.tokens_per_s: $c tokens/s"
PY=/usr/bin/python3
if "$PY" -c 'import torch' 2>/dev/null; then
    t=$(OPENBLAS_NUM_THREADS=1 "$PY" "$ROOT/tests/bench_trainer_torch.py" "$W/batches.bin" 320 64 100 2)
    echo "trainer.torch_tokens_per_s: $t tokens/s"
    awk -v c="$c" -v t="$t" 'BEGIN { if (t > 0) printf "trainer.ratio: %.2f x\n", c / t }'
else
    echo "trainer bench: no torch in $PY; PyTorch figures skipped" >&2
fi
