#!/bin/sh
# bench_trainer.sh: continuo-train's speed on the report's Model 1 at the trainer's real
# settings (seq-len 100, stride 50, loss on every step, batch 64, Adam, clip 1, 2 threads)
# on a subset of ../shared/corpus, and PyTorch trained on the very same batches beside it.
# Prints trainer.tokens_per_s, trainer.torch_tokens_per_s and trainer.ratio (wall clock), and
# the same per CPU second of each process (cpu_*), which other programs' load disturbs less.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
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
line=$(grep 'in the training steps' "$W/log")
c=$(echo "$line" | sed -n 's/.*, \([0-9]*\) in the training steps.*/\1/p')
cc=$(echo "$line" | sed -n 's/.*, \([0-9]*\) per CPU second.*/\1/p')
echo "trainer.tokens_per_s: $c tokens/s"
echo "trainer.cpu_tokens_per_s: $cc tokens/cpu-s"
echo "trainer.machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
PY=/usr/bin/python3
if "$PY" -c 'import torch' 2>/dev/null; then
    # PyTorch at its best here: one thread (two threads oversubscribe 2 cores and run several
    # times slower under any load; ../shared/anchors.md: the second core adds nothing)
    set -- $(OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "$PY" "$ROOT/tests/bench/bench_trainer_torch.py" "$W/batches.bin" 320 64 100 1)
    echo "trainer.torch_tokens_per_s: $1 tokens/s"
    echo "trainer.torch_cpu_tokens_per_s: $2 tokens/cpu-s"
    awk -v c="$c" -v t="$1" -v cc="$cc" -v tc="$2" 'BEGIN {
        if (t > 0) printf "trainer.ratio: %.2f x\n", c / t
        if (tc > 0) printf "trainer.cpu_ratio: %.2f x\n", cc / tc
        # C runs 2 threads, PyTorch 1: on an idle 2-core machine the wall ratio is about twice the CPU ratio
        if (tc > 0) printf "trainer.idle_ratio_estimate: %.2f x\n", 2 * cc / tc }'
else
    echo "trainer bench: no torch in $PY; PyTorch figures skipped" >&2
fi
