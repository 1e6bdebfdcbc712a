#!/bin/sh
# tokcache.sh: the tokenised corpus cache. continuo-tokens --cache writes checksummed shards
# and an index; continuo-train reads the cache instead of MIDI and trains the very same model
# (weights compared), in the event and in the note encoding (its key and density controls,
# with the transposition augmentation); a damaged shard or index is a clear error naming the
# file; options and encodings the cache cannot hold are refused naming the flag; a model
# trained from a cache is evaluated from it; continuo-train-mpi on 2 ranks reads it too.
# A cache of many shards read with --cache-open 2: the same model file byte for byte, never
# more than 2 shard files open (the run's own count, and /proc/PID/fd while it trains); a
# shard removed while training stops the run naming it, with a checkpoint that resumes to
# the uninterrupted run's weights; the same under MPI.
. "$(dirname "$0")/../lib.sh"
TOK=$BUILD/continuo-tokens
TRAIN=$BUILD/continuo-train
INFO=$BUILD/continuo-info
MPI=$BUILD/continuo-train-mpi
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
W=$(mktemp -d /tmp/cn_tokcache_test.XXXXXX)
trap 'rm -rf "$W"' EXIT
export SOURCE_DATE_EPOCH=1700000000
mkdir -p "$W/corpus"
sed -n '/^if ! \$PY - "\$W\/corpus" <<.EOF.$/,/^EOF$/p' "$ROOT/tests/cli/trainer.sh" | sed '1d;$d' >"$W/gen.py"
"$PY" "$W/gen.py" "$W/corpus" || { fail "writing the test corpus"; summary; exit 1; }
printf 'this is not a MIDI file\n' >"$W/corpus/zz-broken.mid"
cd "$W" || exit 1
BASE="--spec conv1d:16:3,lstm:24,dropout:0.1 --seq-len 32 --batch 8 --val-windows 16 --progress plain --lr 0.001 --lr-schedule constant"
SMALL="$BASE --epochs 2 --no-checkpoint --threads 2"
# a run that only a failure ends (the budget is a bound should the failure not come)
ENDLESS="$BASE --epochs 100000 --minutes 2 --cache-open 2"

"$TOK" --cache cache --shard-tokens 1500 corpus >tok.log 2>&1
check "continuo-tokens --cache writes the cache (exit 0)" grep -q "wrote the token cache cache: 6 pieces, event encoding" tok.log
check "... names the file it skipped" grep -q "skipped .*zz-broken.mid" tok.log
check "... an index and several shards" sh -c '[ -f cache/index.cntok ] && [ $(ls cache/shard-*.tok | wc -l) -ge 3 ]'
"$TRAIN" $SMALL -o midi.cnm corpus >midi.log 2>&1
"$TRAIN" $SMALL -o cache.cnm cache >cache.log 2>&1
check "continuo-train reads the cache" sh -c 'grep -q "^  model  *cache.cnm" "$0" && [ -f cache.cnm ]' cache.log
check "... the same pieces per split as from MIDI" sh -c 'diff -q "$0" "$1" >/dev/null' \
    "$(grep '^  train\|^  val\|^  test\|coverage' midi.log > a.txt; echo a.txt)" "$(grep '^  train\|^  val\|^  test\|coverage' cache.log > b.txt; echo b.txt)"
out=$("$INFO" --compare midi.cnm cache.cnm); echo "  $out"
check "... and trains the very same weights" sh -c 'echo "$0" | grep -q " differ 0 "' "$out"

"$BUILD/continuo-eval" -m cache.cnm --split test --no-ngram --windows 0 -q >ev.log 2>&1; rc=$?
check "continuo-eval reads the cache a model was trained from (exit $rc)" sh -c '[ $1 -eq 0 ] && grep -q "^network" "$0"' ev.log $rc

# the note encoding (the shipped model's): controls and transposition as from MIDI
NOTE="$SMALL --encoding note --transpose -5..6"
"$TOK" --cache ncache --encoding note --shard-tokens 1000 corpus >ntok.log 2>&1
check "continuo-tokens --cache --encoding note writes several shards" \
    sh -c 'grep -q "6 pieces, note encoding" "$0" && [ $(ls ncache/shard-*.tok | wc -l) -ge 3 ]' ntok.log
"$TRAIN" $NOTE -o nmidi.cnm corpus >nmidi.log 2>&1
"$TRAIN" $NOTE -o ncache.cnm ncache >ncache.log 2>&1
check "note encoding: the same pieces, tokens and coverage per split as from MIDI" sh -c 'diff -q "$0" "$1" >/dev/null' \
    "$(grep '^  train\|^  val\|^  test\|coverage' nmidi.log > na.txt; echo na.txt)" "$(grep '^  train\|^  val\|^  test\|coverage' ncache.log > nb.txt; echo nb.txt)"
out=$("$INFO" --compare nmidi.cnm ncache.cnm); echo "  $out"
check "note encoding: the cache trains the very same weights as the MIDI files" sh -c 'echo "$0" | grep -q " differ 0 "' "$out"
"$TRAIN" $SMALL -o wrong.cnm ncache >wrong.log 2>&1; rc=$?
check "a note cache trained as --encoding event: an error naming the flag (exit $rc)" \
    sh -c '[ $1 -ne 0 ] && grep -q "holds the note encoding, not --encoding event: give --encoding note" "$0"' wrong.log $rc

# damage: one token of a shard, then the index
cp -r cache good
cp -r cache bad
"$PY" -c "import sys; f=open(sys.argv[1],'r+b'); f.seek(40); b=f.read(1); f.seek(40); f.write(bytes([b[0]^1]))" bad/shard-00001.tok
"$TRAIN" $SMALL -o bad.cnm bad >bad.log 2>&1; rc=$?
check "a damaged shard: exit $rc, naming the shard and the checksum" \
    sh -c '[ $1 -ne 0 ] && grep -q "bad/shard-00001.tok: the tokens of .* fail their checksum" "$0" && [ ! -f bad.cnm ]' bad.log $rc
cp -r cache badi
sed -i 's/^0 0 /0 1 /' badi/index.cntok
"$TRAIN" $SMALL -o badi.cnm badi >badi.log 2>&1; rc=$?
check "a damaged index: exit $rc, naming it" sh -c '[ $1 -ne 0 ] && grep -q "badi/index.cntok: .*damaged" "$0"' badi.log $rc
rm cache/shard-00002.tok 2>/dev/null || true
"$TRAIN" $SMALL -o gone.cnm cache >gone.log 2>&1; rc=$?
check "a missing shard: exit $rc, naming it" sh -c '[ $1 -ne 0 ] && grep -q "shard-00002.tok: cannot read" "$0"' gone.log $rc
# many small shards: a cap of 2 open at once trains the very same model file
mkdir -p many capped uncapped
for f in corpus/piece*.mid; do cp "$f" many/; cp "$f" "many/b-${f##*/}"; done
"$TOK" --cache mcache --shard-tokens 500 many >mtok.log 2>&1
ns=$(ls mcache/shard-*.tok | wc -l)
check "a cache of many small shards ($ns, at least 8)" [ "$ns" -ge 8 ]
(cd uncapped && "$TRAIN" $SMALL -o m.cnm ../mcache >log 2>&1)
(cd capped && "$TRAIN" $SMALL --cache-open 2 -o m.cnm ../mcache >log 2>&1)
check "--cache-open 2 trains a byte-identical model file to no cap (cmp)" sh -c '[ -s "$0" ] && cmp "$0" "$1"' uncapped/m.cnm capped/m.cnm
opens=$(sed -n "s/^token cache: $ns shards, at most 2 open at once (--cache-open 2), \([0-9]*\) opens$/\1/p" capped/log)
check "... at most 2 shard files open at once, reopened as needed ($opens opens of $ns shards)" sh -c '[ -n "$0" ] && [ "$0" -gt "$1" ]' "$opens" "$ns"
check "... and with the default cap every shard open at once, each opened once" \
    grep -q "^token cache: $ns shards, at most $ns open at once (--cache-open 64), $ns opens$" uncapped/log

# a shard removed while training (the run holds 2 open; it goes once closed and reopened)
shards_open() { ls -l "/proc/$1/fd" 2>/dev/null | grep -o 'shard-[0-9]*\.tok$'; }
mkdir -p gone2 fresh && cp -r mcache gone2/cc
cd gone2
"$TRAIN" $ENDLESS --threads 2 -o m.cnm cc >run.log 2>&1 &
pid=$!
while alive $pid && ! grep -q "^epoch 1:" run.log; do sleep 0.1; done   # the load check is done: reading on demand
most=0; k=0
while [ $k -lt 40 ] && alive $pid; do
    n=$(shards_open $pid | wc -l); [ "$n" -gt "$most" ] && most=$n; k=$((k + 1))
done
check "while it trains, /proc/PID/fd holds shard files, never more than 2 ($k samples, at most $most)" \
    sh -c '[ "$0" -eq 40 ] && [ "$1" -ge 1 ] && [ "$1" -le 2 ]' "$k" "$most"
f=""
while alive $pid && [ -z "$f" ]; do f=$(shards_open $pid | head -n 1); [ -n "$f" ] || sleep 0.1; done
[ -n "$f" ] && mv "cc/$f" "$f.away"
wait $pid; rc=$?
check "a shard removed while training: exit $rc, naming it, a checkpoint written" \
    sh -c '[ $1 -eq 1 ] && [ -n "$2" ] && grep -q "cc/$2: cannot reopen: No such file or directory" "$0" &&
           grep -q "checkpoint written to m.cnm.ckpt; .*continue with --resume m.cnm.ckpt" "$0" && [ -f m.cnm.ckpt ]' run.log $rc "$f"
e=$(sed -n 's/.*stopped at epoch \([0-9]*\), batch.*/\1/p' run.log)
[ -n "$f" ] && mv "$f.away" "cc/$f"
"$TRAIN" --resume m.cnm.ckpt --epochs $((e + 1)) --cache-open 2 >resume.log 2>&1; rc=$?
cd ../fresh && cp -r ../mcache cc && "$TRAIN" $ENDLESS --threads 2 --epochs $((e + 1)) -o m.cnm cc >run.log 2>&1
cd ..
out=$("$INFO" --compare fresh/m.cnm gone2/m.cnm); echo "  $out"
check "... restored, --resume (exit $rc) trains the uninterrupted run's weights (epoch $e + 1)" \
    sh -c '[ $1 -eq 0 ] && echo "$0" | grep -q " differ 0 "' "$out" $rc

"$TOK" --cache c2 --encoding paper corpus >p.log 2>&1; rc=$?
check "--cache with --encoding paper is refused, naming the flag (exit $rc)" sh -c '[ $1 -eq 2 ] && grep -q "cannot hold --encoding paper" "$0"' p.log $rc
"$TOK" --cache c3 corpus >/dev/null 2>&1
"$TRAIN" $SMALL --encoding paper -o p.cnm c3 >p2.log 2>&1; rc=$?
check "training the paper encoding from a cache: a clear error naming the flag (exit $rc)" \
    sh -c '[ $1 -ne 0 ] && grep -q -- "--encoding paper cannot be read from a token cache" "$0"' p2.log $rc
if [ -x "$MPI" ] && command -v mpirun >/dev/null 2>&1; then
    mpirun --allow-run-as-root --oversubscribe --mca btl self,vader -np 2 "$MPI" $SMALL --threads 1 -o mpi.cnm c3 >mpi.log 2>&1
    out=$("$INFO" --compare midi.cnm mpi.cnm); echo "  $out"
    check "2 ranks from the cache = 1 process from MIDI (within 1e-5)" \
        sh -c 'echo "$0" | awk "{ exit !(\$6 + 0 <= 1e-5) }"' "$out"
    mkdir -p mcap && cd mcap
    mpirun --allow-run-as-root --oversubscribe --mca btl self,vader -np 2 "$MPI" $SMALL --threads 1 --cache-open 2 -o m.cnm ../mcache >log 2>&1
    cd ..
    out=$("$INFO" --compare uncapped/m.cnm mcap/m.cnm); echo "  $out"
    check "2 ranks with --cache-open 2 = 1 process uncapped (within 1e-5), at most 2 open on any rank" \
        sh -c 'echo "$0" | awk "{ exit !(\$6 + 0 <= 1e-5) }" && grep -q "^token cache: $2 shards, at most 2 open at once on any rank" "$1"' \
        "$out" mcap/log "$ns"
    mkdir -p mgone && cp -r mcache mgone/cc && cd mgone
    mpirun --allow-run-as-root --oversubscribe --mca btl self,vader -np 2 "$MPI" $ENDLESS --threads 1 -o m.cnm cc >run.log 2>&1 &
    mpid=$!
    while alive $mpid && ! grep -q "^epoch 1:" run.log; do sleep 0.1; done
    ranks=$(ps -o pid= --ppid $mpid)
    f=""
    while alive $mpid && [ -z "$f" ]; do
        for r in $ranks; do [ -z "$f" ] && f=$(shards_open $r | head -n 1); done
        [ -n "$f" ] || sleep 0.1
    done
    [ -n "$f" ] && mv "cc/$f" "$f.away"
    wait $mpid; rc=$?
    check "2 ranks: a shard removed while training ends the job (exit $rc) naming it, rank 0 writes the checkpoint" \
        sh -c '[ $1 -ne 0 ] && [ -n "$2" ] && grep -q "cc/$2: cannot reopen: No such file or directory" "$0" &&
               grep -q "checkpoint written to m.cnm.ckpt" "$0" && [ -f m.cnm.ckpt ]' run.log $rc "$f"
    cd ..
    # each rank in its own folder: rank 1's copy of the cache has a damaged shard
    mkdir -p ra rb && cp -r good ra/cc && cp -r bad rb/cc
    mpirun --allow-run-as-root --oversubscribe --mca btl self,vader -np 1 --wdir "$W/ra" "$MPI" $SMALL --threads 1 -o m.cnm cc : \
        -np 1 --wdir "$W/rb" "$MPI" $SMALL --threads 1 -o m.cnm cc >mpibad.log 2>&1; rc=$?
    check "a shard damaged on one rank's host: an error before training (exit $rc) naming the rank, host and shard" \
        sh -c '[ $1 -ne 0 ] && grep -q "rank 1 on $2: cc/shard-00001.tok: the tokens of .* fail their checksum" "$0" &&
               [ ! -f ra/m.cnm ] && ! grep -q "^epoch" "$0"' mpibad.log $rc "$(hostname)"
fi
summary
