#!/bin/sh
# outputs.sh: every tool's output path through engine/atomicfile.c, and its write failures:
#   a character device or FIFO as -o is written in place and stays what it was (issue 10.1);
#   a symlinked output stays a link and its target gets the content;
#   a folder is refused; a size limit (ulimit -f, no trap) gives "file too large", exit 1,
#   the last good file and no temporary left (10.7); a full device says "no space left on
#   device" (10.8); a full standard output is an error (10.9); a failed --roll says what was
#   written (10.10); --beats is bounded (10.6).
. "$(dirname "$0")/../lib.sh"
GEN=$BUILD/continuo-generate
INFO=$BUILD/continuo-info
TOK=$BUILD/continuo-tokens
MODEL=$ROOT/presets/default.cnm
SEED=$ROOT/presets/seed.mid
W=$(mktemp -d /tmp/cn_outputs_test.XXXXXX)
trap 'rm -rf "$W"' EXIT
unset CONTINUO_MODEL
gen() { "$GEN" -m "$MODEL" --primer "$SEED" --beats 4 --rng 1 "$@"; }
no_temps() { [ -z "$(find "$W" -name '*.tmp*' -print)" ]; }

# ---- a device node is written in place, not replaced by a regular file ----
if mknod "$W/null" c 1 3 2>/dev/null; then
    gen -o "$W/null" >"$W/out.txt" 2>&1; r=$?
    check "generate -o onto a character device (null): exit 0" [ $r -eq 0 ]
    check "generate -o onto a character device: it is still a device" test -c "$W/null"
    mknod "$W/full" c 1 7
    gen -o "$W/full" >"$W/out.txt" 2>&1; r=$?
    check "generate -o onto /dev/full's twin: exit 1 with 'no space left on device'" \
        sh -c "[ $r -eq 1 ] && grep -q 'full: cannot write: no space left on device' '$W/out.txt'"
    check "generate -o onto /dev/full's twin: it is still a device" test -c "$W/full"
    "$INFO" --half "$W/full" "$MODEL" >"$W/out.txt" 2>&1; r=$?
    check "info --half onto a full device: exit 1, still a device" sh -c "[ $r -eq 1 ] && test -c '$W/full' && grep -q 'no space left' '$W/out.txt'"
    "$TOK" --quiet --write "$W/full" "$SEED" >/dev/null 2>"$W/out.txt"; r=$?
    check "tokens --write onto a full device: exit 1, still a device" sh -c "[ $r -eq 1 ] && test -c '$W/full'"
else
    ok "device nodes: skipped (mknod needs root)"
fi
mkfifo "$W/fifo"
( cat "$W/fifo" >"$W/from_fifo.mid" ) &
rd=$!
gen -o "$W/fifo" >"$W/out.txt" 2>&1; r=$?
test -p "$W/fifo" || kill $rd 2>/dev/null   # replaced by a file: its reader would wait forever
wait $rd
check "generate -o onto a FIFO: exit 0, the reader gets a MIDI file, the FIFO stays" \
    sh -c "[ $r -eq 0 ] && test -p '$W/fifo' && [ \"\$(head -c 4 '$W/from_fifo.mid')\" = MThd ]"
gen -o "$W/fifo" >"$W/out.txt" 2>&1; r=$?
check "generate -o onto a FIFO nobody reads: exit 1 with a message, no wait" \
    sh -c "[ $r -eq 1 ] && grep -q 'fifo: cannot write: a FIFO with no reader' '$W/out.txt'"
mkdir "$W/dir"
gen -o "$W/dir" >"$W/out.txt" 2>&1; r=$?
check "generate -o onto a folder: refused" sh -c "[ $r -eq 1 ] && grep -q 'it is a folder' '$W/out.txt' && test -d '$W/dir'"

# ---- a symlink stays a link; its target (in another folder) gets the new file ----
mkdir "$W/real"
echo old >"$W/real/t.mid"
ln -s ../real/t.mid "$W/dir/link.mid"
gen -o "$W/dir/link.mid" >"$W/out.txt" 2>&1; r=$?
check "generate -o through a relative symlink: exit 0, still a link" sh -c "[ $r -eq 0 ] && test -L '$W/dir/link.mid'"
check "generate -o through a symlink: the target holds the MIDI file" sh -c "[ \"\$(head -c 4 '$W/real/t.mid')\" = MThd ]"
ln -s "$W/real/new.cnm" "$W/dangling.cnm"
"$INFO" --half "$W/dangling.cnm" "$MODEL" >"$W/out.txt" 2>&1; r=$?
check "info --half through a dangling symlink: the target is created" sh -c "[ $r -eq 0 ] && test -L '$W/dangling.cnm' && test -s '$W/real/new.cnm'"
"$INFO" "$W/dangling.cnm" >/dev/null 2>&1
check "info --half through a symlink: the copy reads back" [ $? -eq 0 ]
check "no temporaries left" no_temps

# ---- a size limit: "file too large", the old file kept, no temporary (no trap of SIGXFSZ) ----
cp "$MODEL" "$W/keep.cnm"
cp "$W/keep.cnm" "$W/keep.orig"
( ulimit -f 64; exec "$INFO" --half "$W/keep.cnm" "$MODEL" ) >"$W/out.txt" 2>&1; r=$?
check "info --half over ulimit -f: exit 1 (not killed by SIGXFSZ)" [ $r -eq 1 ]
check "info --half over ulimit -f: says 'file too large' and that the old file is kept" \
    grep -q 'keep.cnm: cannot write: file too large.*previous file is unchanged' "$W/out.txt"
check "info --half over ulimit -f: the old file is intact" cmp -s "$W/keep.cnm" "$W/keep.orig"
check "info --half over ulimit -f: no temporary left" no_temps

# ---- a full disk on a regular file (a tiny tmpfs, when this machine lets us mount one) ----
mkdir "$W/small"
if mount -t tmpfs -o size=64k tmpfs "$W/small" 2>/dev/null; then
    echo old >"$W/small/m.cnm"
    "$INFO" --half "$W/small/m.cnm" "$MODEL" >"$W/out.txt" 2>&1; r=$?
    check "full file system: exit 1 with 'no space left on device'" sh -c "[ $r -eq 1 ] && grep -q 'm.cnm: cannot write: no space left on device' '$W/out.txt'"
    check "full file system: the old file is intact, no temporary" sh -c "[ \"\$(cat '$W/small/m.cnm')\" = old ] && [ \$(ls '$W/small' | wc -l) -eq 1 ]"
    umount "$W/small"
else
    ok "full file system: skipped (cannot mount a tmpfs here)"
fi

# ---- a full standard output is an error (10.9) ----
if [ -w /dev/full ]; then
    "$TOK" "$SEED" >/dev/full 2>"$W/out.txt"; r=$?
    check "tokens > /dev/full: exit 1 with a message" sh -c "[ $r -eq 1 ] && grep -q 'standard output.*no space left' '$W/out.txt'"
    "$INFO" "$MODEL" >/dev/full 2>"$W/out.txt"; r=$?
    check "info > /dev/full: exit 1 with a message" sh -c "[ $r -eq 1 ] && grep -q 'standard output.*no space left' '$W/out.txt'"
    gen -q -o "$W/q.mid" >/dev/full 2>"$W/out.txt"; r=$?
    check "generate -q > /dev/full: exit 1 with a message" sh -c "[ $r -eq 1 ] && grep -q 'standard output.*no space left' '$W/out.txt'"
fi

# ---- a failed --roll: nothing is written, and the message says so (10.10) ----
rm -f "$W/r.mid"
gen -o "$W/r.mid" --roll "$W/dir" >"$W/out.txt" 2>&1; r=$?
check "a failed --roll: exit 1, out.mid not left behind, the message says it was not written" \
    sh -c "[ $r -eq 1 ] && ! test -e '$W/r.mid' && grep -q 'r.mid was not written' '$W/out.txt'"

# ---- --beats is bounded (10.6) ----
timeout 300 "$GEN" -m "$MODEL" --primer "$SEED" --rng 1 -o "$W/b.mid" --beats 100000 >"$W/out.txt" 2>&1; r=$?   # the timeout only ends a hang
check "--beats 100000: refused at once with the bound" sh -c "[ $r -eq 2 ] && grep -q -- '--beats' '$W/out.txt'"
summary
