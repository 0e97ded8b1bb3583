#!/usr/bin/env bash
# The OFDM options on the command line: every bad value or combination ends in exit status 2 and
# one line on stderr that names the option at fault; a good OFDM simulation and its theory run.
# Usage: test_ofdm_cli.sh PATH/TO/bersim
set -u
bersim=$1
# shellcheck source=cli_lib.sh
source "$(dirname "$0")/cli_lib.sh"

expect_ok() {
    if "$bersim" "$@" >"$dir/out" 2>"$dir/err"; then ok; else bad "bersim $* failed: $(cat "$dir/err")"; fi
}

link=(sim --mod qpsk --ebn0 10 --max-bits 100000)
expect_usage "--ofdm" "${link[@]}" --ofdm 100           # not a power of two
expect_usage "--ofdm" "${link[@]}" --ofdm 4             # below 8
expect_usage "--ofdm" "${link[@]}" --ofdm 8192          # above 4096
expect_usage "--cp" "${link[@]}" --ofdm 64 --cp 64      # prefix as long as the symbol
expect_usage "--pilots" "${link[@]}" --ofdm 64 --pilots 48
expect_usage "--pilots" "${link[@]}" --ofdm 64 --pilots 128
expect_usage "--profile" "${link[@]}" --ofdm 8 --profile etu   # 16 samples in an 8-sample symbol
expect_usage "--profile" "${link[@]}" --ofdm 64 --profile foo
expect_usage "--est" "${link[@]}" --est ls              # OFDM options need --ofdm
expect_usage "--cp" "${link[@]}" --cp 4
expect_usage "--channel" "${link[@]}" --ofdm 64 --channel rayleigh
expect_usage "--est" "${link[@]}" --ofdm 64 --est foo
expect_usage "--clip" "${link[@]}" --ofdm 64 --clip -1
expect_usage "--cfo" "${link[@]}" --ofdm 64 --cfo nan
expect_usage "--declip" "${link[@]}" --ofdm 64 --clip 1 --declip 2     # not the learned receiver
expect_usage "--declip" "${link[@]}" --ofdm 64 --rx nn --model x --declip 2 # no clipping
expect_usage "--declip" "${link[@]}" --ofdm 64 --clip 1 --rx nn --model x --declip 9
expect_usage "--declip" train --ofdm 64 --clip 1 --declip 1 --mod qpsk --ebn0 1:2 -o "$dir/m"
expect_usage "--est" "${link[@]}" --ofdm 64 --rx nn --model x --est lmmse # the network estimates itself

expect_ok sim --ofdm 64 --profile eva --mod qpsk --est lmmse --pilots 8 --ebn0 10 --seed 1 \
    --max-bits 100000
# one row of counts, with errors, after the header lines
rows=$(grep -v '^#' "$dir/out" | tail -n +2)
if [ "$(printf '%s\n' "$rows" | grep -c .)" -eq 1 ] &&
   awk -F'\t' '{ exit !($1 == 10 && $3 >= 100000 && $4 > 0) }' <<<"$rows"; then
    ok
else
    bad "sim --ofdm: unexpected rows: $rows"
fi

expect_ok theory --ofdm 64 --profile eva --est ls --mod qpsk --ebn0 10
# LS from a full pilot symbol at Es/N0 = 13.0103 dB: the closed form, 4.4512e-02
awk -F'\t' '!/^#/ && $1 == 10 { found = 1; if ($3 < 0.0445 || $3 > 0.0446) exit 1 }
            END { exit !found }' "$dir/out" && ok || bad "theory --ofdm ls: $(cat "$dir/out")"
expect_usage "--cp" theory --ofdm 64 --cp 0 --profile etu --est perfect --mod qpsk --ebn0 10
expect_usage "--est" theory --ofdm 64 --profile eva --est lmmse --mod qpsk --ebn0 10
# no LS closed form for 8-PSK: refused before any line of the table reaches standard output
expect_usage "no closed form for 8psk" theory --ofdm 64 --est ls --mod 8psk --ebn0 0
[ -z "$("$bersim" theory --ofdm 64 --est ls --mod 8psk --ebn0 0 2>/dev/null)" ] && ok ||
    bad "theory wrote half a table before refusing 8-PSK with LS"

# A learned OFDM receiver's model is for its own layout only (a tiny one: the check, not the
# quality, is under test).
tiny=(--ofdm 16 --cp 4 --profile exp --pilots 16 --mod qpsk)
expect_ok train "${tiny[@]}" --ebn0 10 --steps 20 --batch 16 --hidden 8 --quiet -o "$dir/tiny.model"
expect_ok sim "${tiny[@]}" --rx nn --model "$dir/tiny.model" --ebn0 10 --max-bits 4096
expect_usage "pilots=16" sim --ofdm 16 --cp 4 --profile exp --pilots 8 --mod qpsk --rx nn \
    --model "$dir/tiny.model" --ebn0 10
expect_usage "cp=4" sim --ofdm 16 --cp 2 --profile exp --mod qpsk --rx nn \
    --model "$dir/tiny.model" --ebn0 10
expect_usage "ofdm" sim --mod qpsk --channel rayleigh --rx nn --model "$dir/tiny.model" --ebn0 10
expect_usage "N=16" sim --ofdm 32 --cp 4 --profile exp --pilots 16 --mod qpsk --rx nn \
    --model "$dir/tiny.model" --ebn0 10
# the network's shape: the unfolded receiver (default) or a plain MLP, which both run
expect_ok train "${tiny[@]}" --arch mlp --ebn0 10 --steps 20 --batch 16 --hidden 8,8 --quiet \
    -o "$dir/mlp.model"
expect_ok sim "${tiny[@]}" --rx nn --model "$dir/mlp.model" --ebn0 10 --max-bits 4096
expect_ok train --ofdm 16 --cp 4 --profile exp --pilots 4 --mod 16qam --ebn0 10 --steps 20 \
    --batch 16 --hidden 8 --quiet -o "$dir/q16.model"
expect_ok sim --ofdm 16 --cp 4 --profile exp --pilots 4 --mod 16qam --rx nn \
    --model "$dir/q16.model" --ebn0 10 --max-bits 4096
# on a clipped link the receiver's reconstruction passes and its per-frame choice between them
# run (under the sanitizers in CI) and give the same table with one thread and two; 4 pilots:
# the pilot symbol carries data and is clipped too
clipped=(--ofdm 16 --cp 4 --profile exp --pilots 4 --mod qpsk --clip 1.0)
expect_ok train "${clipped[@]}" --ebn0 10 --steps 20 --batch 16 --quiet -o "$dir/clip.model"
for t in 1 2; do
    expect_ok sim "${clipped[@]}" --rx nn --model "$dir/clip.model" --ebn0 0:10:20 \
        --max-bits 400000 --min-errors 1e9 --threads $t -o "$dir/clip$t.tsv"
done
if diff <(grep -v '^#' "$dir/clip1.tsv") <(grep -v '^#' "$dir/clip2.tsv") >/dev/null &&
    grep -q "2 clipping reconstruction passes (each frame keeps the decisions of least residual" \
        "$dir/clip1.tsv"; then ok; else bad "clipped learned link: tables differ or no passes"; fi
# the clipping level (and Doppler and CFO) it was trained at is in the model: simulating another
# runs, with a one-line warning that names both
want="model '$dir/clip.model' was trained for OFDM with doppler=0 clip=1 cfo=0, simulating"
want+=" doppler=0 clip=0 cfo=0"
expect_ok sim "${clipped[@]:0:10}" --rx nn --model "$dir/clip.model" --ebn0 10 --max-bits 4096
[ "$(grep -c 'warning' "$dir/err")" -eq 1 ] && grep -qF "$want" "$dir/err" && ok ||
    bad "no clipping warning, or another: $(cat "$dir/err")"
# no warning at the trained values, however written: clip 1.0 given as 1, CFO -0 as 0
for given in "--clip 1" "--clip 1.0 --cfo -0"; do
    # shellcheck disable=SC2086
    expect_ok sim "${clipped[@]:0:10}" $given --rx nn --model "$dir/clip.model" --ebn0 10 \
        --max-bits 4096
    grep -q 'warning' "$dir/err" && bad "a warning at the trained link ($given): $(cat "$dir/err")" || ok
done
expect_ok sim "${clipped[@]}" --cfo 0.05 --rx nn --model "$dir/clip.model" --ebn0 10 --max-bits 4096
grep -qF "with doppler=0 clip=1 cfo=0, simulating doppler=0 clip=1 cfo=0.05" "$dir/err" && ok ||
    bad "no CFO warning: $(cat "$dir/err")"
expect_usage "--arch" train "${tiny[@]}" --arch cnn --ebn0 10 -o "$dir/x.model"
expect_usage "--arch" train --mod qpsk --channel awgn --arch mlp --ebn0 10 -o "$dir/x.model"
expect_usage "--hidden" train "${tiny[@]}" --hidden 8,8 --ebn0 10 -o "$dir/x.model"
expect_usage "1024" train --ofdm 1024 --cp 16 --profile exp --pilots 64 --mod qpsk --ebn0 10 \
    -o "$dir/x.model"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
