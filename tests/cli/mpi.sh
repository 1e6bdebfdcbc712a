#!/bin/sh
# mpi.sh: data-parallel continuo-train-mpi under `mpirun --oversubscribe` on localhost, on a
# tiny corpus this test writes (the generator of tests/cli/trainer.sh), with a small model:
#   1 rank x 2 threads (continuo-train) and 2 ranks x 1 thread give the same weights within
#   the stated tolerance (max |dw| <= 1e-5; the cut is the same, so they come out equal);
#   the same seed, batch and ranks give byte-identical models; rank 0 alone prints and writes;
#   the note encoding (targets that are not counted) within the same tolerance;
#   a rank whose weights drift stops the run (replica check); kill -9 of one rank ends the job
#   with mpirun naming the rank, the checkpoint stays valid and --resume finishes the run as
#   if uninterrupted; SIGTERM to mpirun checkpoints once, and a resume with another rank
#   count (3) finishes it; SIGINT checkpoints once too; a corpus file unreadable on one rank
#   is an error before training naming the host and the file; plain continuo-train under
#   mpirun refuses and says why.
. "$(dirname "$0")/../lib.sh"
MPI=$BUILD/continuo-train-mpi
TRAIN=$BUILD/continuo-train
INFO=$BUILD/continuo-info
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
if ! command -v mpirun >/dev/null 2>&1 || [ ! -x "$MPI" ]; then
    fail "Open MPI or $MPI is missing (tests/deps.sh installs libopenmpi-dev and openmpi-bin; then make)"
    summary; exit 1
fi
W=$(mktemp -d /tmp/cn_mpi_test.XXXXXX)
trap 'rm -rf "$W"' EXIT
export SOURCE_DATE_EPOCH=1700000000
# Open MPI: run as root on CI, more ranks than cores, and no network interfaces to probe
RUN="mpirun --allow-run-as-root --oversubscribe --mca btl self,vader"

mkdir -p "$W/corpus"
sed -n '/^if ! \$PY - "\$W\/corpus" <<.EOF.$/,/^EOF$/p' "$ROOT/tests/cli/trainer.sh" | sed '1d;$d' >"$W/gen.py"
"$PY" "$W/gen.py" "$W/corpus" || { fail "writing the test corpus"; summary; exit 1; }

SMALL="--spec conv1d:16:3,lstm:24,dropout:0.1 --seq-len 32 --batch 8 --val-windows 16 --progress plain --lr 0.001 --lr-schedule constant"
# the tolerance between rank counts: float sums in another order may differ in the last bits
TOL=1e-5
within() {   # within A B: the models' weights differ by at most TOL
    out=$("$INFO" --compare "$1" "$2") || return 1
    echo "  $out"
    echo "$out" | awk -v tol=$TOL '{ exit !($6 + 0 <= tol + 0) }'
}
rank_pid() {   # rank_pid R: the pid of rank R of the running job
    for p in $(pgrep -f "$MPI"); do
        tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$1" && { echo "$p"; return 0; }
    done
    return 1
}

# ---- the same model from one process and from two ranks ----
cd "$W" || exit 1
$TRAIN $SMALL --threads 2 --epochs 3 --no-checkpoint -o one.cnm corpus >one.log 2>&1
check "continuo-train, 1 rank x 2 threads, trains" [ -f one.cnm ]
$RUN -np 2 "$MPI" $SMALL --threads 1 --epochs 3 --csv two.csv -o two.cnm corpus >two.log 2>&1
rc=$?
check "2 ranks x 1 thread train and exit 0" [ $rc -eq 0 -a -f two.cnm ]
check "2 ranks: the model loads" "$INFO" two.cnm >/dev/null
check "2 ranks within $TOL of 1 rank x 2 threads (same global batch)" within one.cnm two.cnm
check "the progress line shows the global tokens/s on 2 ranks" grep -q "tok/s on 2 ranks" two.log
check "rank 0 alone reports: one corpus report, one 'files written' list" \
    [ "$(grep -c '^corpus:' two.log)" -eq 1 -a "$(grep -c '^files written:' two.log)" -eq 1 ]
check "the all-reduce time and share are reported" grep -q "all-reduce took .* ms a step" two.log
check "the CSV log has 3 epochs" [ "$(grep -c '^[0-9]' two.csv)" -eq 3 ]
$RUN -np 2 "$MPI" $SMALL --threads 1 --epochs 3 --no-checkpoint -o two_b.cnm corpus >two_b.log 2>&1
check "same seed, batch and 2 ranks: byte-identical model files" cmp -s two.cnm two_b.cnm
$RUN -np 2 "$MPI" $SMALL --threads 2 --epochs 3 --no-checkpoint -o four.cnm corpus >four.log 2>&1
check "2 ranks x 2 threads within $TOL of 1 rank x 2 threads" within one.cnm four.cnm

# the note encoding: its controls are inputs, never targets, so a batch counts fewer targets
$TRAIN $SMALL --encoding note --threads 2 --epochs 2 --no-checkpoint -o note1.cnm corpus >note1.log 2>&1
$RUN -np 2 "$MPI" $SMALL --encoding note --threads 1 --epochs 2 --no-checkpoint -o note2.cnm corpus >note2.log 2>&1
check "note encoding: 2 ranks within $TOL of 1 rank x 2 threads" within note1.cnm note2.cnm

# ---- replica check ----
$RUN -np 2 "$MPI" $SMALL --threads 1 --epochs 3 --no-checkpoint --fault-diverge-after 5 -o div.cnm corpus >div.log 2>&1
rc=$?
check "a drifting replica stops the run (exit $rc)" [ $rc -ne 0 ]
check "... with a message naming the rank" grep -q "the weights of rank 1 differ from rank 0's after step" div.log

# ---- kill -9 of one rank, then resume ----
mkdir -p k && cd k || exit 1
$RUN -np 2 "$MPI" $SMALL --threads 1 --epochs 12 --checkpoint-every 1e -o k.cnm ../corpus >k.log 2>&1 &
job=$!
if wait_for 600 test -s k.cnm.ckpt && r1=$(rank_pid 1); then
    kill -9 "$r1"
    wait $job; rc=$?
    check "kill -9 of rank 1 ends the job (mpirun exit $rc)" [ $rc -ne 0 ]
    check "... and mpirun names the rank" grep -q "rank 1 .*exited on signal 9" k.log
    check "the model left beside it is valid" sh -c '"$0" k.cnm >/dev/null' "$INFO"
    $RUN -np 2 "$MPI" --resume k.cnm.ckpt >resume.log 2>&1
    check "the last checkpoint is valid: --resume on 2 ranks loads it and continues to the end" \
        sh -c 'grep -Eq "resuming .* at epoch" "$0" && grep -q "^  model " "$0"' resume.log
    cd "$W" || exit 1
    $TRAIN $SMALL --threads 2 --epochs 12 --no-checkpoint -o full12.cnm corpus >full12.log 2>&1
    check "killed and resumed = uninterrupted (1 rank x 2 threads), within $TOL" within full12.cnm k/k.cnm
else
    kill -9 "$job" 2>/dev/null; wait $job
    fail "the 2-rank run wrote no checkpoint to kill after: $(tail -3 k.log)"
fi
cd "$W" || exit 1

# ---- SIGTERM to mpirun: one checkpoint on rank 0; resume on another rank count ----
# The run is given far more epochs than it can reach, so the signal always finds it training
# however fast the machine is; the resume then sets the total a little past where it stopped.
mkdir -p s && cd s || exit 1
$RUN -np 2 "$MPI" $SMALL --threads 1 --epochs 100000 -o s.cnm ../corpus >s.log 2>&1 &
job=$!
if wait_for 600 grep -q "^epoch 1:" s.log 2>/dev/null; then
    kill -TERM $job
    wait $job
    check "SIGTERM to mpirun: rank 0 checkpoints once" [ "$(grep -c 'stopped by a signal.*checkpoint written' s.log)" -eq 1 ]
    k=$(sed -n 's/.*stopped by a signal at epoch \([0-9]*\).*/\1/p' s.log | head -1)
    total=$(( ${k:-1} + 2 ))
    $RUN -np 3 "$MPI" --resume s.cnm.ckpt --epochs $total >resume.log 2>&1
    check "--resume on 3 ranks (started on 2) loads the checkpoint and finishes" \
        sh -c 'grep -Eq "resuming .* at epoch" "$0" && grep -q "^  model " "$0"' resume.log
    check "... on 3 ranks" grep -q "data parallel on 3 ranks" resume.log
    $TRAIN $SMALL --threads 2 --epochs $total --no-checkpoint -o full.cnm ../corpus >full.log 2>&1
    check "resumed on 3 ranks = uninterrupted ($total epochs), within $TOL" within full.cnm s.cnm
else
    kill -9 $job 2>/dev/null; wait $job
    fail "the 2-rank run never finished an epoch: $(tail -3 s.log)"
fi
cd "$W" || exit 1

# ---- SIGINT (Ctrl-C) to mpirun: the same single checkpoint ----
mkdir -p i && cd i || exit 1
$RUN -np 2 "$MPI" $SMALL --threads 1 --epochs 100000 -o i.cnm ../corpus >i.log 2>&1 &
job=$!
if wait_for 600 grep -q "^epoch 1:" i.log 2>/dev/null; then
    kill -INT $job
    wait $job
    check "SIGINT to mpirun: rank 0 checkpoints once" \
        sh -c '[ "$(grep -c "stopped by a signal.*checkpoint written" "$0")" -eq 1 ] && [ -s i.cnm.ckpt ]' i.log
else
    kill -9 $job 2>/dev/null; wait $job
    fail "the 2-rank run never finished an epoch: $(tail -3 i.log)"
fi
cd "$W" || exit 1

# ---- a file unreadable on one rank's host ----
# each rank starts in its own folder, so "corpus" is another folder for rank 1: there
# piece3.mid is a dangling link (a file its host cannot read)
mkdir -p a b/corpus
cp -r corpus a/
for f in corpus/*.mid; do ln -s "$W/$f" "b/$f"; done
rm b/corpus/piece3.mid && ln -s "$W/nowhere/piece3.mid" b/corpus/piece3.mid
$RUN -np 1 --wdir "$W/a" "$MPI" $SMALL --epochs 1 -o m.cnm corpus : -np 1 --wdir "$W/b" "$MPI" $SMALL --epochs 1 -o m.cnm corpus >unread.log 2>&1
rc=$?
check "a corpus unreadable on one rank: an error (exit $rc)" [ $rc -ne 0 ]
check "... naming the rank, its host and the file" grep -q "rank 1 on $(hostname): corpus/piece3.mid: missing or unreadable here" unread.log
check "... before training (no model, no progress line)" sh -c '[ ! -f a/m.cnm ] && ! grep -q "^epoch" "$0"' unread.log
# a file one host reads as something else (a damaged copy)
printf 'not MIDI' >"$W/bad3.mid"
rm b/corpus/piece3.mid && ln -s "$W/bad3.mid" b/corpus/piece3.mid
$RUN -np 1 --wdir "$W/a" "$MPI" $SMALL --epochs 1 -o m.cnm corpus : -np 1 --wdir "$W/b" "$MPI" $SMALL --epochs 1 -o m.cnm corpus >unread2.log 2>&1
rc=$?
check "a corpus file damaged on one rank: an error (exit $rc) naming host and file" \
    sh -c '[ $1 -ne 0 ] && grep -q "rank 1 on $2: skipped corpus/piece3.mid" "$0" && [ ! -f a/m.cnm ]' unread2.log $rc "$(hostname)"

# ---- continuo-train, built without MPI, under mpirun ----
$RUN -np 2 "$TRAIN" $SMALL --epochs 1 -o plain.cnm corpus >plain.log 2>&1
check "plain continuo-train under mpirun refuses, naming continuo-train-mpi" \
    sh -c 'grep -q "continuo-train-mpi" "$0" && [ ! -f plain.cnm ]' plain.log

summary
