#!/bin/sh
# bench_nn.sh: the neural core's `make bench` figures: build/bench-nn (C training and
# streaming on the report's Model 1), then PyTorch on the same setup (tests/bench/bench_torch.py,
# one BLAS thread as in ../shared/anchors.md) and the ratios C / PyTorch.
# Environment: BENCH_NN_ARGS (default "2 8 20000"), BENCH_TORCH_STEPS (default 8).
# On a busy machine the wall-clock ratio suffers most (two threads meet at a join every
# forward and backward); train.cpu_ratio compares CPU seconds, which load disturbs less.
cd "$(dirname "$0")/../.." || exit 1
c=$(build/bench-nn ${BENCH_NN_ARGS:-2 8 20000}) || { echo "bench-nn failed"; exit 1; }
echo "$c"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), load $(cut -d' ' -f1-3 /proc/loadavg), OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-auto}"
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    echo "train.torch_seq_per_s: reference missing (no torch in /usr/bin/python3): no ratio"
    exit 0
fi
t=$(OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 tests/bench/bench_torch.py 1 ${BENCH_TORCH_STEPS:-8}) || { echo "bench_torch failed"; exit 0; }
echo "$t"
val() { echo "$1" | sed -n "s/^$2: \([0-9.]*\).*/\1/p"; }
awk -v c="$(val "$c" train.seq_per_s)" -v t="$(val "$t" train.torch_seq_per_s)" \
    -v ca="$(val "$c" train.all_steps_seq_per_s)" -v ta="$(val "$t" train.torch_all_steps_seq_per_s)" \
    -v s="$(val "$c" step.us_p50)" -v ts="$(val "$t" step.torch_us_p50)" \
    -v cc="$(val "$c" train.cpu_seq_per_s)" -v tc="$(val "$t" train.torch_cpu_seq_per_s)" -v n="$(nproc)" 'BEGIN {
    if (t > 0) printf "train.ratio: %.2f x\n", c / t;
    if (ta > 0) printf "train.all_steps_ratio: %.2f x\n", ca / ta;
    if (s > 0) printf "step.speedup_vs_torch: %.1f x\n", ts / s;
    # per CPU second, C over PyTorch; times 2 cores (PyTorch gains nothing from the second,
    # ../shared/anchors.md) it is what train.ratio reads on an idle machine
    if (tc > 0) printf "train.cpu_ratio: %.2f x\n", cc / tc;
    if (tc > 0 && n >= 2) printf "train.idle_ratio_estimate: %.2f x\n", 2 * cc / tc;
}'
