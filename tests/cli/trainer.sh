#!/bin/sh
# trainer.sh: continuo-train end to end on a tiny corpus this test writes itself (small MIDI
# files from a stdlib-only Python generator), with a small model:
#   trains and writes a model that continuo-info reads, with its metadata, CSV log and plot;
#   the same --rng and threads give byte-identical model files;
#   stopping (SIGTERM) and resuming, or training in two legs, gives the same model as one run;
#   resume after kill -9 gives a valid model and continues;
#   a NaN loss (injected, and a real divergence) stops with a message and keeps the last files;
#   an unwritable output, a full disk, a bad spec, a changed option on resume, a corpus of
#   non-MIDI files and an empty folder each give a clear error;
#   the paper encoding, and --paper-zoo printing the report's eight models;
#   what the trainer tells you: a tiny validation set, an overfitting hint, the files written
#   and the resume command, --resume --minutes M as M more minutes, the credit from a CREDIT
#   file or --credit, the corpus path relative to the model (continuo-eval --corpus DIR).
. "$(dirname "$0")/../lib.sh"
TRAIN=$BUILD/continuo-train
INFO=$BUILD/continuo-info
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
W=$(mktemp -d /tmp/cn_trainer_test.XXXXXX)
trap 'rm -rf "$W"' EXIT
# byte-identical outputs: no dates or durations in the model
export SOURCE_DATE_EPOCH=1700000000

# ---- a tiny corpus: 6 pieces of a few hundred notes, melodies over chords, deterministic ----
mkdir -p "$W/corpus" "$W/junk" "$W/empty"
if ! $PY - "$W/corpus" <<'EOF'
import os, struct, sys
def vlq(n):
    out = [n & 0x7F]; n >>= 7
    while n: out.append(0x80 | (n & 0x7F)); n >>= 7
    return bytes(reversed(out))
def song(seed, n):
    ev, t, x = [], 0, seed
    scale = [0, 2, 4, 5, 7, 9, 11]
    for i in range(n):
        x = (x * 1103515245 + 12345) % (1 << 31)
        root = 48 + (seed % 5)
        p = root + 12 + scale[(x >> 8) % 7] + 12 * ((x >> 12) % 2)
        d = [120, 240, 480][(x >> 16) % 3]
        notes = [p] + ([root + scale[(i // 4) % 7]] if i % 4 == 0 else [])
        for q in notes: ev.append((t, 0x90, q, 60 + (x >> 20) % 40))
        for q in notes: ev.append((t + d, 0x80, q, 0))
        t += d
    ev.sort(key=lambda e: (e[0], e[1] == 0x90))
    trk, last = b"\x00\xFF\x51\x03\x07\xA1\x20", 0
    for (tt, st, q, v) in ev:
        trk += vlq(tt - last) + bytes([st, q, v]); last = tt
    trk += b"\x00\xFF\x2F\x00"
    return b"MThd" + struct.pack(">IHHH", 6, 0, 1, 480) + b"MTrk" + struct.pack(">I", len(trk)) + trk
for k in range(6):
    open(os.path.join(sys.argv[1], "piece%d.mid" % k), "wb").write(song(k + 1, 220 + 30 * k))
EOF
then
    echo "SKIP: no python3 to write the test corpus"; echo "0 passed, 0 failed"; exit 0
fi
printf 'this is not a MIDI file\n' > "$W/junk/a.mid"
printf 'MThd\000\000' > "$W/junk/b.mid"
printf 'hello\n' > "$W/junk/notes.txt"
cp "$W/junk/a.mid" "$W/corpus/zz-broken.mid"

SMALL="--spec conv1d:16:3,lstm:24,dropout:0.1 --seq-len 32 --batch 8 --val-windows 16 --threads 2 --progress plain --lr 0.001 --lr-schedule constant"

run() { "$TRAIN" "$@" >"$W/out.txt" 2>&1; echo $? >"$W/rc"; }
rc() { cat "$W/rc"; }
said() { grep -q -- "$1" "$W/out.txt"; }

# ---- trains, writes a model continuo-info reads ----
run $SMALL --epochs 3 --rng 7 --csv "$W/log.csv" --plot "$W/loss.svg" --credit "test data (CC0)" -o "$W/a.cnm" "$W/corpus"
check "trains a small model (exit 0)" [ "$(rc)" -eq 0 ]
[ "$(rc)" -eq 0 ] || cat "$W/out.txt"
check "skips the broken file with its name" said "skipped .*zz-broken.mid"
check "reports the split (6 pieces: 4/1/1), '1 piece' in the singular" \
    sh -c "grep -q 'train *4 pieces' '$W/out.txt' && grep -q 'test *1 piece ' '$W/out.txt' && ! grep -q '1 pieces' '$W/out.txt'"
check "warns that the validation set is tiny (1 piece)" said "warning: the validation set is tiny (1 piece,"
check "lists the files written: model, checkpoint, CSV, plot" \
    sh -c "grep -q '^  model  *$W/a.cnm' '$W/out.txt' && grep -q '^  checkpoint  *$W/a.cnm.ckpt' '$W/out.txt' &&
           grep -q '^  log (CSV)  *$W/log.csv' '$W/out.txt' && grep -q '^  loss plot  *$W/loss.svg' '$W/out.txt'"
check "ends with the command that resumes the run" said "continuo-train --resume $W/a.cnm.ckpt --minutes 10"
check "the loss plot has its legend, axis titles and best epoch" \
    sh -c "grep -q '>validation</text>' '$W/loss.svg' && grep -q '>epoch</text>' '$W/loss.svg' && grep -q '>best: epoch [0-9]' '$W/loss.svg'"
check "writes the model file" [ -s "$W/a.cnm" ]
check "writes a checkpoint beside it" [ -s "$W/a.cnm.ckpt" ]
check "CSV log: a header and one row an epoch" [ "$(wc -l <"$W/log.csv")" -eq 4 ]
check "CSV header" [ "$(head -n 1 "$W/log.csv")" = "epoch,train_loss,val_loss,val_accuracy,seconds" ]
check "SVG plot written" grep -q "<svg" "$W/loss.svg"
check "reports test loss and accuracy" said "test loss [0-9]"
if [ -x "$INFO" ]; then
    "$INFO" "$W/a.cnm" >"$W/info.txt" 2>&1
    check "continuo-info reads the model" [ $? -eq 0 ]
    check "the model carries the credit line" grep -q "test data (CC0)" "$W/info.txt"
    check "the model carries its corpus and test loss" sh -c "grep -q corpus '$W/info.txt' && grep -q test_loss '$W/info.txt'"
else
    echo "note: $INFO not built; model checked by its size and by resuming only"
fi

# ---- same seed and threads: byte-identical model files ----
run $SMALL --epochs 3 --rng 7 --no-checkpoint --credit "test data (CC0)" -o "$W/b.cnm" "$W/corpus"
check "a second run with the same seed succeeds" [ "$(rc)" -eq 0 ]
check "same seed and threads: byte-identical model" cmp -s "$W/a.cnm" "$W/b.cnm"
run $SMALL --epochs 3 --rng 8 --no-checkpoint --credit "test data (CC0)" -o "$W/c.cnm" "$W/corpus"
check "another seed: another model" sh -c "! cmp -s '$W/a.cnm' '$W/c.cnm'"

# ---- two legs (epochs 1, then resume to 3) give the one-run model exactly ----
run $SMALL --epochs 1 --rng 7 --credit "test data (CC0)" -o "$W/d.cnm" "$W/corpus"
check "first leg (1 epoch)" [ "$(rc)" -eq 0 ]
cp "$W/d.cnm" "$W/d1.cnm"; cp "$W/d.cnm.ckpt" "$W/d1.ckpt"
run --resume "$W/d.cnm.ckpt" --epochs 3
check "resume continues at epoch 2" said "resuming .* at epoch 2"
check "resumed run ends well" [ "$(rc)" -eq 0 ]
check "1 + 2 resumed epochs = 3 epochs in one run, byte for byte" cmp -s "$W/a.cnm" "$W/d.cnm"

# ---- a changed option on resume is refused ----
run --resume "$W/d1.ckpt" --seq-len 16
check "resume refuses a changed --seq-len" sh -c "[ $(rc) -ne 0 ] && grep -q 'cannot change when resuming' '$W/out.txt'"

# ---- a warm start (--init): the new run begins where the model ended ----
val_of() { sed -n 's/^epoch 1: train [0-9.]*  val \([0-9.]*\).*/\1/p' "$W/out.txt" | head -n 1; }
best_a=$("$INFO" "$W/a.cnm" 2>/dev/null | sed -n 's/^ *val_loss: *//p')
run $SMALL --epochs 1 --rng 7 --lr 0.0000001 --no-checkpoint -o "$W/cold.cnm" "$W/corpus"
cold=$(val_of)
run --spec conv1d:16:3,dropout:0.2,lstm:24,dropout:0.1 --seq-len 32 --batch 8 --val-windows 16 --threads 2 \
    --progress plain --epochs 1 --rng 7 --lr 0.0000001 --no-checkpoint --init "$W/a.cnm" -o "$W/warm.cnm" "$W/corpus"
warm=$(val_of)
echo "warm start: validation $warm after a near-zero step from a.cnm (its best $best_a), $cold from fresh weights"
check "--init: the first validation is the initial model's, not fresh weights' (a dropout added)" \
    awk -v w="$warm" -v b="$best_a" -v c="$cold" 'BEGIN { d = w - b; exit !(w != "" && b != "" && d < 0.002 && d > -0.002 && c - w > 0.1) }'
check "--init: the model says where its weights came from" sh -c "'$INFO' '$W/warm.cnm' | grep -q 'init: $W/a.cnm (spec conv1d:16:3,lstm:24,dropout:0.1'"
run $SMALL --epochs 1 --init "$W/nonesuch.cnm" -o "$W/x.cnm" "$W/corpus"
check "--init of a missing file: exit 1, the file named, no model written" \
    sh -c "[ $(rc) -eq 1 ] && grep -q -- '--init .*nonesuch.cnm' '$W/out.txt' && [ ! -e '$W/x.cnm' ]"
run --spec conv1d:16:3,lstm:32 --seq-len 32 --batch 8 --epochs 1 --init "$W/a.cnm" -o "$W/x.cnm" "$W/corpus"
check "--init of a model that does not fit the spec: exit 1, the tensor and shapes named" \
    sh -c "[ $(rc) -eq 1 ] && grep -q 'a.cnm: 1.lstm.weight_ih is 96x16, the spec .* wants 128x16' '$W/out.txt' && [ ! -e '$W/x.cnm' ]"
run --resume "$W/d1.ckpt" --init "$W/a.cnm"
check "--init cannot be given to a resumed run" sh -c "[ $(rc) -ne 0 ] && grep -q 'cannot change when resuming' '$W/out.txt'"

# ---- NaN: stop, say so, keep the last good files ----
cp "$W/d1.cnm" "$W/d.cnm"; cp "$W/d1.ckpt" "$W/d.cnm.ckpt"
run --resume "$W/d.cnm.ckpt" --epochs 3 --fault-nan-after 3
check "an injected NaN loss stops the run (exit 1)" [ "$(rc)" -eq 1 ]
check "the NaN is named in the message" said "loss became NaN"
check "the checkpoint is untouched by the NaN" cmp -s "$W/d1.ckpt" "$W/d.cnm.ckpt"
check "the model is untouched by the NaN" cmp -s "$W/d1.cnm" "$W/d.cnm"
run --resume "$W/d.cnm.ckpt" --epochs 2
check "the kept checkpoint still resumes" [ "$(rc)" -eq 0 ]
run $SMALL --epochs 2 --rng 7 --lr 1e30 --clip 0 --no-checkpoint -o "$W/div.cnm" "$W/corpus"
check "a real divergence (--lr 1e30) stops with a message" sh -c "[ $(rc) -eq 1 ] && grep -q 'diverged' '$W/out.txt'"

# ---- SIGTERM mid-run writes a checkpoint; resuming gives the uninterrupted model ----
"$TRAIN" $SMALL --epochs 3 --rng 7 --credit "test data (CC0)" -o "$W/e.cnm" "$W/corpus" >"$W/e.txt" 2>&1 &
pid=$!
i=0; while [ $i -lt 600 ] && ! grep -q "batch" "$W/e.txt" 2>/dev/null && kill -0 $pid 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
kill -TERM $pid 2>/dev/null
wait $pid; erc=$?
if [ $erc -eq 143 ]; then
    check "SIGTERM: says where the checkpoint is" grep -q "continue with --resume" "$W/e.txt"
    run --resume "$W/e.cnm.ckpt"
    check "resume after SIGTERM ends well" [ "$(rc)" -eq 0 ]
else
    check "the run finished before SIGTERM arrived (exit 0)" [ $erc -eq 0 ]
fi
check "stopped and resumed = uninterrupted, byte for byte" cmp -s "$W/a.cnm" "$W/e.cnm"

# (with the default cosine schedule, whose rate depends on the position in the run)
run $SMALL --lr 0.003 --lr-schedule cosine --epochs 3 --rng 7 --no-checkpoint -o "$W/cos.cnm" "$W/corpus"
for k in 2 45; do
    run $SMALL --lr 0.003 --lr-schedule cosine --epochs 3 --rng 7 -o "$W/g.cnm" --fault-signal-after $k "$W/corpus"
    check "SIGTERM at step $k: exit 143 with a checkpoint" sh -c "[ $(rc) -eq 143 ] && [ -s '$W/g.cnm.ckpt' ]"
    run --resume "$W/g.cnm.ckpt"
    check "stopped at step $k and resumed = uninterrupted, byte for byte" cmp -s "$W/cos.cnm" "$W/g.cnm"
    rm -f "$W/g.cnm" "$W/g.cnm.ckpt"
done

# ---- kill -9 at any moment: the last checkpoint stays valid and the run continues ----
"$TRAIN" $SMALL --epochs 400 --rng 9 --checkpoint-every 1e -o "$W/k.cnm" "$W/corpus" >"$W/k.txt" 2>&1 &
pid=$!
i=0; while [ $i -lt 1200 ] && ! grep -q "^epoch 2:" "$W/k.txt" 2>/dev/null && kill -0 $pid 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
check "kill -9 left a checkpoint" [ -s "$W/k.cnm.ckpt" ]
check "kill -9 left a model" [ -s "$W/k.cnm" ]
if [ -x "$INFO" ]; then check "the model left by kill -9 is valid" sh -c "'$INFO' '$W/k.cnm' >/dev/null"; fi
run --resume "$W/k.cnm.ckpt" --epochs 4
check "resume after kill -9 continues past epoch 1" sh -c "grep -Eq 'resuming .* at epoch ([2-9]|[1-9][0-9])' '$W/out.txt' && [ $(rc) -eq 0 ]"
if [ -x "$INFO" ]; then check "the model after the resumed run is valid" sh -c "'$INFO' '$W/k.cnm' >/dev/null"; fi
check "no temporary files left beside a finished run" sh -c "! ls '$W'/a.cnm.tmp* '$W'/d.cnm.tmp* 2>/dev/null | grep -q ."
check "no temporaries of the killed run left after the resumed one" sh -c "! ls '$W'/k.cnm.tmp.* '$W'/k.cnm.ckpt.tmp.* '$W'/k.cnm.ckpt.model.tmp.* 2>/dev/null | grep -q ."

# ---- bad input: each a clear message ----
run $SMALL --epochs 1 -o /nonexistent-dir/m.cnm "$W/corpus"
check "unwritable output: exit 1 naming the path" sh -c "[ $(rc) -eq 1 ] && grep -q '/nonexistent-dir/m.cnm' '$W/out.txt'"
run $SMALL --epochs 1 -o "$W" "$W/corpus"
check "output is a folder: clear error" sh -c "[ $(rc) -ne 0 ] && grep -q 'is a folder' '$W/out.txt'"
run --spec "lstm:abc" --epochs 1 -o "$W/s.cnm" "$W/corpus"
check "bad spec: exit 2 with the spec's problem" sh -c "[ $(rc) -eq 2 ] && grep -q 'spec' '$W/out.txt'"
run $SMALL --epochs 1 -o "$W/j.cnm" "$W/junk"
check "non-MIDI corpus: clear error" sh -c "[ $(rc) -eq 1 ] && grep -q 'no usable MIDI file' '$W/out.txt'"
check "non-MIDI corpus: each file named" said "skipped .*a.mid"
run $SMALL --epochs 1 -o "$W/j.cnm" "$W/empty"
check "empty folder: clear error" sh -c "[ $(rc) -eq 1 ] && grep -q 'empty corpus' '$W/out.txt'"
run $SMALL --epochs 1 -o "$W/j.cnm" "$W/no-such-folder"
check "missing corpus: clear error" sh -c "[ $(rc) -eq 1 ] && grep -q 'no-such-folder' '$W/out.txt'"
run $SMALL --seq-len 5000 --epochs 1 -o "$W/j.cnm" "$W/corpus"
check "pieces shorter than a window: clear error" sh -c "[ $(rc) -eq 1 ] && grep -q 'shorter than --seq-len' '$W/out.txt'"

# ---- a size limit while writing (SIGXFSZ not trapped: the trainer must not die of it) ----
cp "$W/a.cnm" "$W/f.cnm"
( ulimit -f 16; exec "$TRAIN" $SMALL --epochs 1 --rng 3 -o "$W/f.cnm" "$W/corpus" ) >"$W/out.txt" 2>&1
frc=$?
check "size limit: exit 1 (not 153), naming the file and 'file too large'" sh -c "[ $frc -eq 1 ] && grep -q 'f.cnm: cannot write: file too large' '$W/out.txt'"
check "size limit: the previous model is intact" cmp -s "$W/a.cnm" "$W/f.cnm"
check "size limit: no temporary left" sh -c "! ls '$W'/f.cnm.tmp* >/dev/null 2>&1"

# ---- early stopping keeps the best model (a wide LSTM overfits four pieces within a few epochs) ----
run --spec lstm:96 --seq-len 32 --batch 8 --lr 0.01 --epochs 60 --early-stop 2 --no-checkpoint --progress plain \
    --csv "$W/es.csv" -o "$W/es.cnm" "$W/corpus"
check "early stop: stops before the epoch limit with a message" sh -c "[ $(rc) -eq 0 ] && grep -q 'early stop' '$W/out.txt' && [ \$(wc -l <'$W/es.csv') -lt 61 ]"
if [ -x "$INFO" ]; then
    best=$(sed -n 's/.*best validation loss \([0-9.]*\) .*/\1/p' "$W/out.txt")
    check "early stop: the model written is the best one (val_loss $best)" sh -c "'$INFO' '$W/es.cnm' | grep -q 'val_loss: $best'"
fi

# ---- the credit from the corpus folder, the corpus path relative to the model ----
mkdir -p "$W/credited/data" "$W/models"
cp "$W/corpus"/piece*.mid "$W/credited/data/"
printf '\n  Pieces by the test generator, CC0\nmore text\n' >"$W/credited/data/CREDIT"
run $SMALL --epochs 1 --no-checkpoint -o "$W/models/cr.cnm" "$W/credited/data"
if [ -x "$INFO" ]; then
    "$INFO" -m "$W/models/cr.cnm" >"$W/info2.txt" 2>&1
    check "a CREDIT file in the corpus folder becomes the credit" grep -q "^  credit: Pieces by the test generator, CC0$" "$W/info2.txt"
    check "the corpus is recorded relative to the model's folder" grep -q "^  corpus: ../credited/data$" "$W/info2.txt"
    run $SMALL --epochs 1 --no-checkpoint --credit "given (CC0)" -o "$W/models/cr2.cnm" "$W/credited/data"
    check "--credit overrides the CREDIT file" sh -c "'$INFO' '$W/models/cr2.cnm' | grep -q '^  credit: given (CC0)$'"
    mv "$W/credited" "$W/moved"
    "$BUILD/continuo-eval" -m "$W/models/cr.cnm" --split test --no-ngram --windows 0 -q >"$W/ev.txt" 2>&1
    check "continuo-eval on a moved corpus says to pass --corpus" sh -c "[ $? -eq 1 ] && grep -q -- '--corpus DIR' '$W/ev.txt'"
    "$BUILD/continuo-eval" -m "$W/models/cr.cnm" --corpus "$W/moved/data" --split test --no-ngram --windows 0 -q >"$W/ev.txt" 2>&1
    check "continuo-eval --corpus DIR finds it where it is now" sh -c "[ $? -eq 0 ] && grep -q '^network' '$W/ev.txt'"
fi

# ---- --resume CKPT --minutes M trains M more minutes; a spent budget is said, not silent ----
run $SMALL --epochs 1 --rng 7 -o "$W/r.cnm" "$W/corpus"
run --resume "$W/r.cnm.ckpt"
check "resume with the budget spent: exit 2, says what to give" sh -c "[ $(rc) -eq 2 ] && grep -q 'trained its 1 epoch already' '$W/out.txt' && grep -q -- '--minutes M to train M more minutes' '$W/out.txt'"
run --resume "$W/r.cnm.ckpt" --minutes 0.05
check "resume --minutes 0.05 after an epoch-limited run trains on" sh -c "[ $(rc) -eq 0 ] && grep -q '0.05 more' '$W/out.txt'"
ep=$(sed -n 's/^trained \([0-9]*\) epochs\{0,1\} in.*/\1/p' "$W/out.txt")
check "... for more epochs than the first leg's one ($ep)" [ "${ep:-0}" -gt 1 ]

# ---- overfitting: validation rising while training falls gets the hint ----
mkdir -p "$W/over"
cp "$W/corpus/piece0.mid" "$W/corpus/piece1.mid" "$W/corpus/piece2.mid" "$W/over/"
run --spec lstm:48 --seq-len 32 --batch 4 --threads 1 --progress plain --lr 0.01 --lr-schedule constant --split 2/1/0 \
    --epochs 30 --no-checkpoint -o "$W/over.cnm" "$W/over"
check "overfitting: a hint with the best epoch and the remedies" \
    sh -c "grep -q 'hint: validation loss has risen for 3 epochs while training loss fell' '$W/out.txt' &&
           grep -q 'best model so far (epoch [0-9]*' '$W/out.txt' && grep -q 'more data, transposition' '$W/out.txt'"
check "the hint is given once" [ "$(grep -c '^hint: ' "$W/out.txt")" -le 1 ]

# ---- a separate test set ----
mkdir -p "$W/c4" "$W/t2"
cp "$W/corpus/piece0.mid" "$W/corpus/piece1.mid" "$W/corpus/piece2.mid" "$W/corpus/piece3.mid" "$W/c4/"
cp "$W/corpus/piece4.mid" "$W/corpus/piece5.mid" "$W/t2/"
run $SMALL --epochs 1 --no-checkpoint --test-dir "$W/t2" -o "$W/t.cnm" "$W/c4"
check "--test-dir: trains" [ "$(rc)" -eq 0 ]
check "--test-dir: its 2 pieces are the test set, the corpus is split 3/1" \
    sh -c "grep -q 'test *2 pieces' '$W/out.txt' && grep -q 'train *3 pieces' '$W/out.txt' && grep -q 'val *1 piece ' '$W/out.txt'"

# ---- the paper encoding, with transposition augmentation ----
run $SMALL --encoding paper --seq-len 16 --transpose -2..2 --epochs 1 --no-checkpoint -o "$W/p.cnm" "$W/corpus"
check "paper encoding trains" [ "$(rc)" -eq 0 ]
check "paper encoding reports unseen tokens" said "unseen in training"
if [ -x "$INFO" ]; then check "the paper model names its encoding" sh -c "'$INFO' '$W/p.cnm' | grep -q paper"; fi

# ---- the report's eight models, one budget, one split ----
"$TRAIN" --paper-zoo "$W/corpus" --epochs 1 --epoch-windows 8 --seq-len 16 --batch 8 --val-windows 8 --progress plain \
    >"$W/zoo.txt" 2>"$W/zoo.err"
check "paper zoo runs" [ $? -eq 0 ]
check "paper zoo prints eight rows" [ "$(grep -c '^paper-' "$W/zoo.txt")" -eq 8 ]
check "paper zoo prints the table's columns" grep -q "train_loss.*test_loss.*test_acc" "$W/zoo.txt"

summary
