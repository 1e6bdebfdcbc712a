#!/bin/sh
# bench_mpi.sh: data-parallel continuo-train-mpi at the trainer's real settings (Model 1,
# seq-len 100, batch 64; as tests/bench/bench_trainer.sh) on a subset of ../shared/corpus: 2 ranks x
# 1 thread beside 1 rank x 2 threads (the same global batch on the same 2 cores), and the
# gradient all-reduce's time a step and its share of the step. The ranks meet in a barrier
# before each all-reduce (CONTINUO_ALLREDUCE_BARRIER=1), so that its time is the communication
# alone, not the wait for the slower rank.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${CONTINUO_SHARED:-$ROOT/../shared}
CORPUS=$SHARED/corpus/piano-midi
BATCHES=${BENCH_TRAINER_BATCHES:-16}
FILES=${BENCH_TRAINER_FILES:-24}
MPI=$ROOT/build/continuo-train-mpi
if [ ! -d "$CORPUS" ]; then echo "mpi bench skipped: no corpus at $CORPUS" >&2; exit 0; fi
if [ ! -x "$MPI" ] || ! command -v mpirun >/dev/null 2>&1; then
    echo "mpi bench skipped: no $MPI or mpirun (install libopenmpi-dev openmpi-bin; make)" >&2; exit 0
fi
W=$(mktemp -d /tmp/cn_bench_mpi.XXXXXX)
trap 'rm -rf "$W"' EXIT
find "$CORPUS" -iname '*.mid' | sort | head -n "$FILES" >"$W/list"
ARGS="--spec paper-m1 --seq-len 100 --stride 50 --loss all --batch 64 --epochs 1 --epoch-windows $((64 * BATCHES))
      --val-windows 64 --split 10/3/0 --no-checkpoint --progress plain"
rate() { sed -n 's/.*, \([0-9]*\) in the training steps.*/\1/p' "$1"; }
"$ROOT/build/continuo-train" $ARGS --threads 2 -o "$W/one.cnm" "@$W/list" >"$W/one.log" 2>&1 || { cat "$W/one.log" >&2; exit 1; }
CONTINUO_ALLREDUCE_BARRIER=1 mpirun --allow-run-as-root --oversubscribe --mca btl self,vader -np 2 \
    "$MPI" $ARGS --threads 1 -o "$W/two.cnm" "@$W/list" >"$W/two.log" 2>&1 || { cat "$W/two.log" >&2; exit 1; }
one=$(rate "$W/one.log"); two=$(rate "$W/two.log")
ms=$(sed -n 's/.*all-reduce took \([0-9.]*\) ms a step (\([0-9.]*\)%.*/\1/p' "$W/two.log")
pct=$(sed -n 's/.*all-reduce took \([0-9.]*\) ms a step (\([0-9.]*\)%.*/\2/p' "$W/two.log")
floats=$("$ROOT/build/continuo-info" "$W/two.cnm" | sed -n 's/^gradient: *\([0-9]*\) floats.*/\1/p')
echo "trainer.mpi_tokens_per_s: $two tokens/s"
echo "trainer.mpi_ref_tokens_per_s: $one tokens/s"
awk -v a="$two" -v b="$one" 'BEGIN { if (b > 0) printf "trainer.mpi_ratio: %.2f x\n", a / b }'
echo "trainer.mpi_allreduce_ms: $ms ms/step"
echo "trainer.mpi_allreduce_share: $pct %"
echo "trainer.mpi_gradient_floats: $floats floats"
awk -v ms="$ms" -v n="$floats" 'BEGIN { if (ms > 0) printf "trainer.mpi_allreduce_gb_per_s: %.2f GB/s\n", 4 * n / (ms / 1000) / 1e9 }'
echo "trainer.mpi_machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
