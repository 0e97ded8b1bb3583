#!/usr/bin/env bash
# bersim train's progress line, learning-curve row 0, checkpoints and --resume: a run resumed
# from a checkpoint (written every N steps, or at SIGINT) makes the very model file and curve
# an uninterrupted run makes; bad checkpoints and mismatched options are refused with one line
# and exit status 2. Usage: test_train_cli.sh PATH/TO/bersim
set -u
bersim=$1
# shellcheck source=cli_lib.sh
source "$(dirname "$0")/cli_lib.sh"

run() { "$bersim" "$@" >/dev/null 2>"$dir/err" || bad "bersim $* failed: $(cat "$dir/err")"; }
same() { if cmp -s "$1" "$2"; then ok; else bad "$3: $1 and $2 differ"; fi; }

det=(train --mod qpsk --channel rayleigh --ebn0 0:10 --hidden 16 --steps 400 --batch 64 --seed 7)
ofdm=(train --ofdm 16 --cp 4 --profile exp --pilots 4 --mod qpsk --ebn0 5:15 --steps 40 --batch 16)
dec=(train --code hamming74 --mod bpsk --channel awgn --ebn0 1:4 --hidden 16 --steps 60 --batch 64)

# 1. progress: lines at a steady rate of wall time, with step, losses, rate, elapsed time and
# ETA; none with --quiet. BERSIM_PROGRESS_SECONDS=0 gives a line every step and a rate far longer
# than the run gives none, so the counts do not depend on the machine's speed (a fast machine ran
# 3000 steps in under 0.3 s, where a 0.1 s rate had given the three lines this once asked for).
line='step [0-9]*/300  train loss [0-9.]*  validation loss [0-9.]*  lr [0-9.e-]*  elapsed [0-9:]*  eta [0-9:]*$'
prog=(train --mod 16qam --channel rayleigh --ebn0 0:20 --steps 300 --seed 2)
BERSIM_PROGRESS_SECONDS=0 "$bersim" "${prog[@]}" -o "$dir/s.model" 2>"$dir/progress" >/dev/null
n=$(grep -c "$line" "$dir/progress")
[ "$n" -eq 300 ] && ok || bad "progress: $n progress lines, not 300: $(cat "$dir/progress")"
grep -q "step 300/300 .*  eta 0:00$" "$dir/progress" && ok || bad "no last line: $(cat "$dir/progress")"
BERSIM_PROGRESS_SECONDS=100000 "$bersim" "${prog[@]}" -o "$dir/s.model" 2>"$dir/progress" >/dev/null
n=$(grep -c "$line" "$dir/progress")
[ "$n" -eq 0 ] && ok || bad "progress at a rate of 100000 s: $n lines: $(cat "$dir/progress")"
"$bersim" "${det[@]}" -o "$dir/s.model" --quiet 2>"$dir/progress" >/dev/null
[ ! -s "$dir/progress" ] && ok || bad "--quiet printed: $(cat "$dir/progress")"
BERSIM_PROGRESS_SECONDS=0 "$bersim" train --e2e 7,4 --ebn0 0:8 --steps 30 -o "$dir/ae.model" \
    2>"$dir/progress" >/dev/null
n=$(grep -c 'step [0-9]*/30  .*  eta [0-9:]*$' "$dir/progress")
[ "$n" -eq 30 ] && ok || bad "e2e progress: $n lines, not 30: $(cat "$dir/progress")"

# 2. the learning curve's row 0 has the untrained network's training loss
run "${det[@]}" -o "$dir/full.model" --log "$dir/full.tsv" --quiet
awk -F'\t' '$1 == "0" { found = 1; if ($2 == "nan" || $2 + 0 <= 0) exit 1 } END { exit !found }' \
    "$dir/full.tsv" && ok || bad "row 0: $(grep -m1 '^0' "$dir/full.tsv")"

# 3, 4. checkpoints every N steps change nothing; resuming from step 200 of 400 makes the same
# model and curve, for a detector, the learned OFDM receivers and a decoder
run "${det[@]}" -o "$dir/part.model" --checkpoint "$dir/d.ckpt" --checkpoint-every 200 --quiet
same "$dir/full.model" "$dir/part.model" "checkpointing changed the model"
head -c 8 "$dir/d.ckpt" | od -c | grep -q 'B   S   I   M   C   K  \\r  \\n' && ok || bad "checkpoint magic"
cp "$dir/d.ckpt" "$dir/d0.ckpt"
run train --resume "$dir/d.ckpt" -o "$dir/res.model" --log "$dir/res.tsv" --quiet
same "$dir/full.model" "$dir/res.model" "resumed detector"
same "$dir/full.tsv" "$dir/res.tsv" "resumed learning curve"
# options given with --resume must be the checkpoint's (but -o, --log, --quiet, --checkpoint*)
run train --resume "$dir/d0.ckpt" --steps 400 --seed 7 --mod qpsk -o "$dir/res2.model" --quiet
same "$dir/full.model" "$dir/res2.model" "resumed with matching options"
expect_usage "--steps 500" train --resume "$dir/d0.ckpt" --steps 500 -o "$dir/x.model"
expect_usage "--lr" train --resume "$dir/d0.ckpt" --lr 0.01 -o "$dir/x.model"
expect_usage "16qam" train --resume "$dir/d0.ckpt" --mod 16qam -o "$dir/x.model"
for variant in "" "--arch mlp --hidden 32"; do
    # shellcheck disable=SC2086
    run "${ofdm[@]}" $variant -o "$dir/of.model" --quiet
    # shellcheck disable=SC2086
    run "${ofdm[@]}" $variant -o "$dir/op.model" --checkpoint "$dir/o.ckpt" --checkpoint-every 20 --quiet
    run train --resume "$dir/o.ckpt" -o "$dir/or.model" --quiet
    same "$dir/of.model" "$dir/or.model" "resumed OFDM receiver ${variant:-unfolded}"
done

# without_key FILE KEY OUT: checkpoint FILE less its metadata pair KEY (the pair count at byte 12
# and the CRC-32 at the end redone; gzip's trailer holds the same CRC-32 of its input): the
# checkpoint an earlier bersim wrote, before models had that key.
without_key() {
    local size at klen vlen n
    size=$(wc -c <"$1")
    at=$(grep -obUa "$2" "$1" | head -n 1 | cut -d: -f1)
    klen=${#2}
    vlen=$(od -An -tu4 -j $((at + klen)) -N 4 "$1" | tr -d ' ')
    n=$(($(od -An -tu4 -j 12 -N 4 "$1" | tr -d ' ') - 1))
    {
        head -c 12 "$1"
        printf "$(printf '\\%03o' $((n & 255)) $((n >> 8 & 255)) $((n >> 16 & 255)) $((n >> 24)))"
        head -c $((at - 4)) "$1" | tail -c +17
        head -c $((size - 4)) "$1" | tail -c +$((at + klen + 4 + vlen + 1))
    } >"$3.body"
    { cat "$3.body"; gzip -c <"$3.body" | tail -c 8 | head -c 4; } >"$3"
}
# an OFDM checkpoint from before models recorded what the receiver was trained at (ofdm_channel)
# resumes, to the model the run would have made
without_key "$dir/o.ckpt" ofdm_channel "$dir/old.ckpt"
! grep -q ofdm_channel "$dir/old.ckpt" && [ "$(wc -c <"$dir/old.ckpt")" -lt "$(wc -c <"$dir/o.ckpt")" ] &&
    ok || bad "without_key left ofdm_channel in the checkpoint"
run train --resume "$dir/old.ckpt" -o "$dir/oo.model" --quiet
same "$dir/of.model" "$dir/oo.model" "resumed from a checkpoint without ofdm_channel"
run "${dec[@]}" -o "$dir/df.model" --quiet
run "${dec[@]}" -o "$dir/dp.model" --checkpoint "$dir/c.ckpt" --checkpoint-every 30 --quiet
run train --resume "$dir/c.ckpt" -o "$dir/dr.model" --quiet
same "$dir/df.model" "$dir/dr.model" "resumed decoder"

# Ctrl-C: a checkpoint is written, exit status 130, and resuming finishes the same model
long=(train --mod qpsk --channel rayleigh --ebn0 0:10 --steps 6000 --seed 3)
run "${long[@]}" -o "$dir/lf.model" --quiet
# The interrupt goes once the learning curve's row at step 300 is out (after it, the checkpoint
# holds two rows), the run writing a progress line every step (BERSIM_PROGRESS_SECONDS=0) into a
# pipe that nothing reads until then: once the pipe is full (some 650 steps on) the run waits on
# it, so no machine is fast enough to finish before the interrupt (a fixed sleep, and later a
# poll of a file, raced the machine's speed).
mkfifo "$dir/pipe" || bad "mkfifo $dir/pipe failed"
BERSIM_PROGRESS_SECONDS=0 "$bersim" "${long[@]}" -o "$dir/li.model" --checkpoint "$dir/l.ckpt" \
    2>"$dir/pipe" &
pid=$!
exec 3<"$dir/pipe"
while read -r line <&3 && [[ $line != "step    300/6000 "* ]]; do :; done
kill -INT "$pid"
cat <&3 >"$dir/err"
exec 3<&-
wait "$pid"
status=$?
if [ "$status" -eq 130 ] && grep -q "checkpoint written to $dir/l.ckpt" "$dir/err" && [ ! -e "$dir/li.model" ]; then
    ok
    run train --resume "$dir/l.ckpt" -o "$dir/lr.model" --quiet
    same "$dir/lf.model" "$dir/lr.model" "resumed after SIGINT"
else
    bad "SIGINT: status $status, $(tail -n 3 "$dir/err")"
fi

# bad checkpoints: one line naming the file and the fault, exit status 2
printf 'hello' >"$dir/junk.ckpt"
expect_usage "junk.ckpt: not a bersim checkpoint" train --resume "$dir/junk.ckpt"
head -c 1000 "$dir/d0.ckpt" >"$dir/short.ckpt"
expect_usage "short.ckpt: checksum mismatch" train --resume "$dir/short.ckpt"
cp "$dir/d0.ckpt" "$dir/flip.ckpt"
printf '\x01' | dd of="$dir/flip.ckpt" bs=1 seek=300 conv=notrunc 2>/dev/null
expect_usage "flip.ckpt: checksum mismatch" train --resume "$dir/flip.ckpt"
expect_usage "none.ckpt: cannot open" train --resume "$dir/none.ckpt"
expect_usage "model" train --resume "$dir/full.model"
expect_usage "--checkpoint" "${det[@]}" -o "$dir/x.model" --checkpoint "$dir/x.model"
expect_usage "--checkpoint-every" "${det[@]}" -o "$dir/x.model" --checkpoint-every 5
expect_usage "--e2e" train --e2e 7,4 --ebn0 0:8 -o "$dir/x.model" --checkpoint "$dir/e.ckpt"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
