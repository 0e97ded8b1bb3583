#!/usr/bin/env bash
# Bad input on the command line: every malformed option or value ends in exit status 2 and one
# line on stderr that names what is wrong; nothing is left behind. Also --help, --version and
# Ctrl-C. Usage: test_cli.sh PATH/TO/bersim
set -u
bersim=$1
# shellcheck source=cli_lib.sh
source "$(dirname "$0")/cli_lib.sh"

expect_ok() {
    if "$bersim" "$@" >/dev/null 2>"$dir/err"; then ok; else bad "bersim $* failed: $(cat "$dir/err")"; fi
}

expect_usage "no command"
expect_usage "'frobnicate'" frobnicate
expect_usage "'--frobnicate'" --frobnicate
expect_ok --help
expect_ok --version
"$bersim" --version | grep -q '^bersim [0-9]' && ok || bad "--version prints no version"
# each command's help names what it takes, and not what it refuses: --model and nn in sim's
# only; theory's its codes and --esn0
for want in "sim|--model FILE" "sim|exact, nn (with --model)" "theory|--esn0 A:STEP:B" \
    "theory|--code C" "theory|--decoder D"; do
    "$bersim" "${want%%|*}" --help | grep -qF -- "${want#*|}" && ok || bad "${want%%|*} --help: no '${want#*|}'"
done
for refused in "train|--model" "train|nn (with" "theory|nn (with" "theory|--model"; do
    "$bersim" "${refused%%|*}" --help | grep -qF -- "${refused#*|}" &&
        bad "${refused%%|*} --help names '${refused#*|}', which it refuses" || ok
done

link=(--mod 16qam --channel awgn)
for cmd in sim theory; do
    expect_ok $cmd --help
    expect_usage "--bogus" $cmd "${link[@]}" --ebn0 5 --bogus
    expect_usage "--mod" $cmd --mod 12qam --channel awgn --ebn0 5
    expect_usage "--mod" $cmd --channel awgn --ebn0 5
    expect_usage "--mod" $cmd --mod
    expect_usage "--channel" $cmd --mod qpsk --channel ether --ebn0 5
    expect_usage "--channel" $cmd --mod qpsk --ebn0 5
    expect_usage "--ebn0" $cmd "${link[@]}"
    expect_usage "--ebn0" $cmd "${link[@]}" --ebn0 abc
    expect_usage "--ebn0" $cmd "${link[@]}" --ebn0 5:1
    expect_usage "--ebn0" $cmd "${link[@]}" --ebn0 0:0:5
    expect_usage "--ebn0" $cmd "${link[@]}" --ebn0 0:-1:5
    expect_usage "--ebn0" $cmd "${link[@]}" --ebn0 0:1:2:3
    expect_usage "--ebn0" $cmd "${link[@]}" --ebn0 0:1e-9:5
    expect_usage "--ebn0" $cmd "${link[@]}" --ebn0 nan
    expect_usage "--ebn0" $cmd "${link[@]}" --ebn0 ""
    expect_usage "--k-factor" $cmd --mod qpsk --channel rician --k-factor -1 --ebn0 5
    expect_usage "--k-factor" $cmd --mod qpsk --channel awgn --k-factor 3 --ebn0 5
    expect_usage "--k-factor" $cmd --mod qpsk --channel rician --k-factor 3x --ebn0 5
    expect_usage "none/none.tsv" $cmd "${link[@]}" --ebn0 5 -o "$dir/none/none.tsv"
done
expect_usage "--coherence" sim --mod qpsk --channel rayleigh --coherence 0 --ebn0 5
expect_usage "--coherence" sim --mod qpsk --channel awgn --coherence 8 --ebn0 5
expect_usage "--doppler" sim --mod qpsk --channel rayleigh --doppler 0.7 --ebn0 5
expect_usage "--doppler" sim --mod qpsk --channel rayleigh --doppler 0.01 --coherence 4 --ebn0 5
expect_usage "--rx" sim "${link[@]}" --ebn0 5 --rx psychic
expect_usage "--min-errors" sim "${link[@]}" --ebn0 5 --min-errors 0
expect_usage "--min-errors" sim "${link[@]}" --ebn0 5 --min-errors 1.5
expect_usage "--max-bits" sim "${link[@]}" --ebn0 5 --max-bits -3
expect_usage "--threads" sim "${link[@]}" --ebn0 5 --threads 0
expect_usage "--seed" sim "${link[@]}" --ebn0 5 --seed x
expect_usage "--seed" sim "${link[@]}" --ebn0 5 --seed
expect_usage "no.txt" sim --constellation "$dir/no.txt" --channel awgn --ebn0 5
printf '00 1 0\n01 0 1\n10 -1 0\n' > "$dir/three.txt"
expect_usage "three.txt" sim --constellation "$dir/three.txt" --channel awgn --ebn0 5
expect_usage "--constellation" sim --mod qpsk --constellation "$dir/three.txt" --channel awgn --ebn0 5
# bersim train and the learned receiver.
tl=(--mod qpsk --channel awgn --ebn0 0:10)
expect_ok train --help
expect_usage "-o MODEL" train "${tl[@]}"
expect_usage "--ebn0" train --mod qpsk --channel awgn -o "$dir/m"
expect_usage "--ebn0" train --mod qpsk --channel awgn --ebn0 5:1 -o "$dir/m"
expect_usage "--ebn0" train --mod qpsk --channel awgn --ebn0 0:1000 -o "$dir/m"
expect_usage "--hidden" train "${tl[@]}" -o "$dir/m" --hidden 0
expect_usage "--hidden" train "${tl[@]}" -o "$dir/m" --hidden 64,x
expect_usage "--hidden" train "${tl[@]}" -o "$dir/m" --hidden 1,2,3,4,5,6,7,8,9
expect_usage "--steps" train "${tl[@]}" -o "$dir/m" --steps 0
expect_usage "--batch" train "${tl[@]}" -o "$dir/m" --batch 1
expect_usage "--lr" train "${tl[@]}" -o "$dir/m" --lr 2
expect_usage "--csi" train "${tl[@]}" -o "$dir/m" --csi psychic
expect_usage "--csi pilot" train "${tl[@]}" -o "$dir/m" --csi pilot
expect_usage "--csi pilot" train --mod qpsk --channel rayleigh --ebn0 0:10 -o "$dir/m" --csi pilot
expect_usage "--constellation" train --constellation "$dir/three.txt" --channel awgn --ebn0 0:10 -o "$dir/m"
expect_usage "--bogus" train "${tl[@]}" -o "$dir/m" --bogus
expect_usage "none/m" train "${tl[@]}" -o "$dir/none/m" --steps 10 --quiet
expect_ok train "${tl[@]}" -o "$dir/q.model" --steps 50 --quiet
expect_usage "--model" sim --mod qpsk --channel awgn --ebn0 5 --rx nn
expect_usage "--model" sim --mod qpsk --channel awgn --ebn0 5 --model "$dir/q.model"
expect_usage "$dir/no.model" sim --mod qpsk --channel awgn --ebn0 5 --rx nn --model "$dir/no.model"
expect_usage "16qam" sim --mod 16qam --channel awgn --ebn0 5 --rx nn --model "$dir/q.model"
expect_usage "rayleigh" sim --mod qpsk --channel rayleigh --ebn0 5 --rx nn --model "$dir/q.model"
expect_usage "channel awgn" sim --mod qpsk --channel rayleigh --coherence 8 --csi pilot --ebn0 5 --rx nn --model "$dir/q.model"
head -c 100 "$dir/q.model" > "$dir/cut.model"
expect_usage "cut.model" sim --mod qpsk --channel awgn --ebn0 5 --rx nn --model "$dir/cut.model"
echo "not a model" > "$dir/text.model"
expect_usage "text.model" sim --mod qpsk --channel awgn --ebn0 5 --rx nn --model "$dir/text.model"
expect_ok sim --mod qpsk --channel awgn --ebn0 5 --rx nn --model "$dir/q.model" --max-bits 1e5 --quiet
expect_usage "--csi pilot" sim --mod qpsk --channel rayleigh --csi pilot --ebn0 5
expect_ok sim --mod qpsk --channel rayleigh --coherence 8 --csi pilot --ebn0 5 --max-bits 1e5 --quiet
expect_ok sim --mod qpsk --channel rayleigh --doppler 0.01 --coherence 8 --csi pilot --ebn0 5 --max-bits 1e5 --quiet
expect_usage "--csi pilot" sim --mod qpsk --channel rayleigh --doppler 0.01 --csi pilot --ebn0 5
# Codes, learned decoders, end-to-end pairs.
cl=(--mod bpsk --channel awgn --ebn0 5)
expect_usage "'turbo'" sim "${cl[@]}" --code turbo
expect_usage "polar:12,6" sim "${cl[@]}" --code polar:12,6
expect_usage "k <= 12" sim "${cl[@]}" --code polar:64,32 --decoder ml
expect_usage "polar:16, 8" sim "${cl[@]}" --code "polar:16, 8"
expect_usage "polar:4294967312,8" sim "${cl[@]}" --code polar:4294967312,8
expect_usage "scl:4294967297" sim "${cl[@]}" --code polar:64,32 --decoder scl:4294967297
expect_usage "n <= 64" sim "${cl[@]}" --code polar:128,8 --decoder ml
expect_usage "n <= 64" theory --mod bpsk --channel awgn --ebn0 0 --code polar:128,8 --decoder map
expect_ok sim --mod bpsk --channel awgn --ebn0 0 --max-bits 1e4 --code polar:1024,12
expect_usage "polar codes only" sim "${cl[@]}" --code hamming74 --decoder sc
expect_usage "syndrome table" sim "${cl[@]}" --code polar:1024,512 --decoder hard
expect_usage "'viterbi'" sim "${cl[@]}" --code hamming74 --decoder viterbi
expect_usage "--decoder needs --code" sim "${cl[@]}" --decoder ml
expect_usage "--min-block-errors needs --code" sim "${cl[@]}" --min-block-errors 10
expect_usage "--design-snr" sim "${cl[@]}" --code hamming74 --design-snr 3
expect_usage "--decoder nn needs --model" sim "${cl[@]}" --code hamming74 --decoder nn
expect_ok train --code hamming74 "${tl[@]}" -o "$dir/h74.model" --steps 40 --quiet
expect_usage "code hamming74, not golay24" sim "${cl[@]}" --code golay24 --decoder nn --model "$dir/h74.model"
expect_usage "detector, not a decoder" sim "${cl[@]}" --code hamming74 --decoder nn --model "$dir/q.model"
expect_usage "not a detector" sim --mod qpsk --channel awgn --ebn0 5 --rx nn --model "$dir/h74.model"
expect_ok sim "${cl[@]}" --code hamming74 --decoder nn --model "$dir/h74.model" --max-bits 1e5 --quiet
expect_usage "N=20" train --e2e 20,4 --ebn0 0:8 -o "$dir/ae"
expect_usage "K=9" train --e2e 4,9 --ebn0 0:8 -o "$dir/ae"
expect_usage "--e2e" train --e2e 7 --ebn0 0:8 -o "$dir/ae"
expect_usage "even" train --e2e 7,4 --channel rayleigh --ebn0 0:8 -o "$dir/ae"
expect_usage "power of two" train --e2e-constellation 12 --ebn0 0:8 -o "$dir/ae"
expect_usage "--mod" train --e2e 7,4 --mod qpsk --ebn0 0:8 -o "$dir/ae"
expect_ok train --e2e 7,4 --ebn0 0:8 -o "$dir/ae.model" --steps 40 --quiet
expect_usage "--e2e-model" sim --e2e-model "$dir/ae.model" --mod bpsk --ebn0 5
expect_usage "not an end-to-end pair" sim --e2e-model "$dir/q.model" --ebn0 5
expect_usage "trained over awgn" sim --e2e-model "$dir/ae.model" --channel rayleigh --ebn0 5
expect_ok sim --e2e-model "$dir/ae.model" --ebn0 5 --max-bits 1e5 --quiet
expect_ok export --e2e-model "$dir/ae.model" -o "$dir/points.tsv"
expect_usage "not an end-to-end pair" export --e2e-model "$dir/q.model"
expect_usage "--e2e-model" export -o "$dir/x.tsv"
expect_usage "'nope'" bench --only nope
expect_usage "--threads" bench --threads 0
[ -z "$(ls "$dir" | grep -v -e three.txt -e err -e points.tsv -e '\.model$')" ] && ok || bad "files left behind: $(ls "$dir")"

# A good run writes a table with metadata, header and one row per point.
"$bersim" sim "${link[@]}" --ebn0 0:2:4 --max-bits 1e5 --quiet -o "$dir/t.tsv" 2>"$dir/err" \
    && [ "$(grep -vc '^#' "$dir/t.tsv")" -eq 4 ] && grep -q '^# receiver: maxlog' "$dir/t.tsv" \
    && ok || bad "sim table: $(cat "$dir/err")"

# A symbolic link or a pipe given to -o is written through, never replaced by a new file.
touch "$dir/target.tsv" && ln -s "$dir/target.tsv" "$dir/link.tsv"
"$bersim" theory "${link[@]}" --ebn0 5 -o "$dir/link.tsv" \
    && [ -L "$dir/link.tsv" ] && grep -q '^ebn0_db' "$dir/target.tsv" && ok || bad "-o symlink replaced"
touch "$dir/model_target" && ln -s "$dir/model_target" "$dir/model_link"
"$bersim" train "${tl[@]}" --steps 20 --quiet -o "$dir/model_link" --log "$dir/link.tsv" \
    && [ -L "$dir/model_link" ] && [ -s "$dir/model_target" ] && grep -q '^step' "$dir/target.tsv" \
    && ok || bad "train -o/--log symlink replaced"
mkfifo "$dir/fifo"
cat "$dir/fifo" > "$dir/from_fifo.tsv" &
"$bersim" theory "${link[@]}" --ebn0 5 -o "$dir/fifo"; wait
[ -p "$dir/fifo" ] && grep -q '^ebn0_db' "$dir/from_fifo.tsv" && ok || bad "-o fifo replaced"

# The same --seed gives the same rows with any --threads (metadata carries the command line).
for t in 1 2 3; do
    "$bersim" sim --mod 16qam --channel rayleigh --coherence 3 --ebn0 0:4:12 --min-errors 2000 \
        --seed 77 --threads $t --quiet -o "$dir/threads$t.tsv"
done
if cmp -s <(grep -v '^#' "$dir/threads1.tsv") <(grep -v '^#' "$dir/threads2.tsv") &&
    cmp -s <(grep -v '^#' "$dir/threads1.tsv") <(grep -v '^#' "$dir/threads3.tsv"); then ok
else bad "--threads changes the rows"; fi

# Ctrl-C: the rows already complete are written, no temporary file stays, status is not 0.
"$bersim" sim --mod bpsk --channel awgn --ebn0 0:1:20 --min-errors 1e12 --max-bits 1e12 \
    --quiet -o "$dir/int.tsv" 2>"$dir/err" &
pid=$!
sleep 1.5
kill -INT $pid
wait $pid; status=$?
if [ $status -ne 0 ] && [ -f "$dir/int.tsv" ] && grep -q '^# stopped: interrupted' "$dir/int.tsv" \
    && [ -z "$(ls "$dir" | grep 'int.tsv.')" ]; then ok; else bad "Ctrl-C: status $status, $(ls "$dir")"; fi

# A learned decoder's model is for its code's frozen set and the detector whose LLRs it learned.
dec=(--code polar:32,16 --mod bpsk --channel awgn)
expect_ok train "${dec[@]}" --ebn0 1:4 --steps 20 --hidden 8 --quiet -o "$dir/p32.model"
expect_ok sim "${dec[@]}" --decoder nn --model "$dir/p32.model" --ebn0 3 --max-bits 1e4
expect_usage "design-snr" sim "${dec[@]}" --design-snr 10 --decoder nn --model "$dir/p32.model" --ebn0 3
expect_usage "--rx maxlog" sim "${dec[@]}" --rx hard --decoder nn --model "$dir/p32.model" --ebn0 3

# Point lists, and Es/N0 in place of Eb/N0 (sim and theory): the table's esn0_db column is the
# grid given, and ebn0_db follows from the bits per symbol and the rate.
"$bersim" theory --mod bpsk --channel awgn --ebn0 0,2,5:1:7 >"$dir/list.tsv"
[ "$(grep -v '^#' "$dir/list.tsv" | awk 'NR > 1 { printf "%s ", $1 }')" = "0 2 5 6 7 " ] &&
    ok || bad "--ebn0 0,2,5:1:7: $(grep -v '^#' "$dir/list.tsv")"
expect_usage "increase" theory --mod bpsk --channel awgn --ebn0 0,3,2
expect_usage "increase" sim --mod bpsk --channel awgn --ebn0 0:2,2
expect_usage "one of --ebn0 and --esn0" sim --mod bpsk --channel awgn --ebn0 1 --esn0 2
expect_usage "one of --ebn0 and --esn0" theory --mod bpsk --channel awgn --esn0 1 --ebn0 2
"$bersim" sim --mod 16qam --channel awgn --esn0 10,12 --max-bits 1e4 --quiet >"$dir/es.tsv"
"$bersim" theory --mod 16qam --channel awgn --code hamming74 --esn0 10 >"$dir/esc.tsv" 2>/dev/null ||
    "$bersim" theory --mod qpsk --channel awgn --code hamming74 --esn0 10 >"$dir/esc.tsv"
awk -F'\t' '!/^#/ && NR > 1 && $1 != "ebn0_db" { if (($2 != 10 && $2 != 12) || ($2 - $1 - 6.0206) ^ 2 > 1e-8) bad = 1; n++ }
    END { exit bad || n != 2 }' "$dir/es.tsv" && ok || bad "sim --esn0: $(cat "$dir/es.tsv")"
awk -F'\t' '!/^#/ && $1 != "ebn0_db" { if ($2 != 10 || ($2 - $1 - 10 * log(2 * 4 / 7) / log(10)) ^ 2 > 1e-8) bad = 1; n++ }
    END { exit bad || n != 1 }' "$dir/esc.tsv" && ok || bad "theory --esn0 with a code: $(cat "$dir/esc.tsv")"

# Each finished point is on disk at once (replaced atomically), so a killed run keeps it; and its
# row is printed on stderr.
"$bersim" sim --mod bpsk --channel awgn --ebn0 0,1,30 --min-errors 1000 --max-bits 1e15 \
    -o "$dir/live.tsv" 2>"$dir/live.err" &
pid=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do
    sleep 0.5
    [ "$(grep -c -v '^#' "$dir/live.tsv" 2>/dev/null)" = 3 ] && break
done
kill -9 $pid
{ wait $pid; } 2>/dev/null
if [ "$(grep -c -v '^#' "$dir/live.tsv")" = 3 ] && grep -q '^# progress: 2 of 3 points' "$dir/live.tsv" &&
    [ "$(grep -c 'min-errors' "$dir/live.err")" = 2 ]; then ok
else bad "rows after each point: $(cat "$dir/live.tsv" "$dir/live.err")"; fi

# --resume: an interrupted table continued gives the table of the uninterrupted run (but for its
# date and -o); options must match the table's; a longer grid extends it.
# One thread, so that the rows after the first take about 0.3 s even on a fast machine; the
# interrupt goes as soon as the first row is on disk.
rs=(--mod 16qam --channel rayleigh --coherence 10 --ebn0 0:4:28 --min-errors 100000 --max-bits 1e12 --seed 5 --threads 1 --quiet)
"$bersim" sim "${rs[@]}" -o "$dir/whole.tsv"
"$bersim" sim "${rs[@]}" -o "$dir/cut.tsv" 2>/dev/null &
pid=$!
for _ in $(seq 1000); do
    [ -s "$dir/cut.tsv" ] && [ "$(grep -c -v "^#" "$dir/cut.tsv")" -ge 2 ] && break
    sleep 0.01
done
kill -INT $pid
{ wait $pid; } 2>/dev/null
rows_cut=$(grep -c -v '^#' "$dir/cut.tsv")
"$bersim" sim --resume "$dir/cut.tsv" 2>"$dir/err"
same() { grep -v '^# date' "$1" | sed "s|$(basename "$1")|T|"; }
if [ "$rows_cut" -lt 9 ] && diff <(same "$dir/whole.tsv") <(same "$dir/cut.tsv") >"$dir/diff"; then ok
else bad "resume: $rows_cut rows before; $(cat "$dir/diff" "$dir/err")"; fi
expect_usage "--seed 6 is not the table's" sim --resume "$dir/cut.tsv" --seed 6
expect_usage "--rx maxlog is not the table's" sim --resume "$dir/cut.tsv" --rx maxlog
expect_usage "not a bersim sim command" sim --resume "$dir/list.tsv"
expect_usage "--resume given twice" sim --resume "$dir/cut.tsv" --resume "$dir/cut.tsv"
expect_usage "row 8" sim --resume "$dir/cut.tsv" --ebn0 0:4:24,30
# a table made from one constellation file (or model) is not finished with another: the table
# keeps the files' fingerprints (# inputs), and --resume compares them
printf '0 -1 0\n1 1 0\n' >"$dir/two.txt"
"$bersim" sim --constellation "$dir/two.txt" --channel rayleigh --ebn0 0:10:20 --max-bits 1e5 \
    --quiet -o "$dir/c.tsv"
grep -q '^# inputs: --constellation [0-9a-f]\{16\}$' "$dir/c.tsv" && ok || bad "no inputs line"
head -n -1 "$dir/c.tsv" >"$dir/c_cut.tsv"
"$bersim" sim --resume "$dir/c_cut.tsv" --quiet && cmp -s <(same "$dir/c.tsv") \
    <(same "$dir/c_cut.tsv" | sed 's/c_cut/c/') && ok || bad "resume with the same file"
head -n -1 "$dir/c.tsv" >"$dir/c_cut.tsv"
printf '0 -1 0\n1 1.5 0\n' >"$dir/two.txt"
expect_usage "was made from other input files (--constellation" sim --resume "$dir/c_cut.tsv"
# a row cut short, or edited into counts no run makes, is refused: it would go into the new table
head -c -20 "$dir/cut.tsv" >"$dir/short.tsv"
expect_usage "short.tsv': row 8: not as many finite numbers" sim --resume "$dir/short.tsv"
awk -F'\t' -v OFS='\t' '!/^#/ && $1 == "4" { $4 = -$4 } 1' "$dir/cut.tsv" >"$dir/neg.tsv"
expect_usage "neg.tsv': row 2: its counts" sim --resume "$dir/neg.tsv"
awk -F'\t' -v OFS='\t' '!/^#/ && $1 == "0" { $4 = $3 + 1 } 1' "$dir/cut.tsv" >"$dir/over.tsv"
expect_usage "over.tsv': row 1: its counts" sim --resume "$dir/over.tsv"
awk -F'\t' -v OFS='\t' '!/^#/ && $1 == "4" { $1 = "nan" } 1' "$dir/cut.tsv" >"$dir/nan.tsv"
expect_usage "nan.tsv': row 2: not as many finite numbers" sim --resume "$dir/nan.tsv"
"$bersim" sim --resume "$dir/cut.tsv" 2>"$dir/err" && grep -q "nothing to resume" "$dir/err" &&
    ok || bad "resume of a finished table: $(cat "$dir/err")"
# nor is a sweep that ended at a point without errors: both exit 0
"$bersim" sim --mod bpsk --channel awgn --ebn0 0:10:30 --max-bits 20000 --quiet -o "$dir/ended.tsv"
"$bersim" sim --resume "$dir/ended.tsv" 2>"$dir/err" &&
    grep -q "nothing to resume: the sweep in .* ended at a point without errors" "$dir/err" &&
    ok || bad "resume of an ended sweep: $(cat "$dir/err")"
cp "$dir/whole.tsv" "$dir/longer.tsv"
"$bersim" sim --resume "$dir/longer.tsv" --ebn0 0:4:32 --threads 1
"$bersim" sim "${rs[@]/0:4:28/0:4:32}" -o "$dir/longer_whole.tsv"
if diff <(grep -v '^# \(date\|command\)' "$dir/longer.tsv") \
        <(grep -v '^# \(date\|command\)' "$dir/longer_whole.tsv") >"$dir/diff" &&
    [ "$(grep -c -v '^#' "$dir/longer.tsv")" = 10 ]; then ok
else bad "resume with a longer grid: $(cat "$dir/diff")"; fi

# --pilot-spacing N: the pilot spacing by its own name; the old spellings give the same tables.
for pair in "--coherence 8 --csi pilot|--pilot-spacing 8" \
            "--doppler 0.01 --coherence 8 --csi pilot|--doppler 0.01 --pilot-spacing 8"; do
    old=${pair%|*} new=${pair#*|}
    # shellcheck disable=SC2086
    a=$("$bersim" sim --mod qpsk --channel rayleigh $old --ebn0 10 --max-bits 1e5 --quiet | grep -v '^# \(date\|command\)')
    # shellcheck disable=SC2086
    b=$("$bersim" sim --mod qpsk --channel rayleigh $new --ebn0 10 --max-bits 1e5 --quiet | grep -v '^# \(date\|command\)')
    [ -n "$a" ] && [ "$a" = "$b" ] && ok || bad "$new differs from $old"
done
expect_usage "differ" sim --mod qpsk --channel rayleigh --coherence 4 --pilot-spacing 8 --ebn0 10

# train's range by its own name: --ebn0-range gives the model --ebn0 gives; not both.
"$bersim" train --mod qpsk --channel awgn --ebn0 0:8 --steps 30 --quiet -o "$dir/r1.model" &&
    "$bersim" train --mod qpsk --channel awgn --ebn0-range 0:8 --steps 30 --quiet -o "$dir/r2.model" &&
    cmp -s "$dir/r1.model" "$dir/r2.model" && ok || bad "--ebn0-range and --ebn0 differ"
expect_usage "same range" train --mod qpsk --channel awgn --ebn0-range 0:8 --ebn0 1 -o "$dir/r3.model"

# The learning curve names the optimal receiver's loss (exact log-MAP with perfect CSI), which a
# trained demapper approaches from above (within 3%, and not below it by more than the
# sampling error); with pilots there is none.
"$bersim" train --mod 16qam --channel rayleigh --ebn0 0:20 --steps 3000 --quiet -o "$dir/o.model" \
    --log "$dir/o.curve"
awk -F'\t' '/^# optimal_loss: / { opt = $0; sub(/.*: /, "", opt) } !/^#/ && $1 != "step" { val = $3 }
    END { exit !(opt > 0 && val < 1.03 * opt && val > 0.99 * opt) }' "$dir/o.curve" &&
    ok || bad "optimal_loss: $(grep optimal "$dir/o.curve"); $(tail -1 "$dir/o.curve")"
"$bersim" train --mod qpsk --channel rayleigh --pilot-spacing 8 --ebn0 0:20 --steps 20 --quiet \
    -o "$dir/p.model" --log "$dir/p.curve"
! grep -q optimal_loss "$dir/p.curve" && ok || bad "optimal_loss with pilots"

# A pipe or device gets one table, at the end; conflicting or foreign options are named.
[ "$("$bersim" sim --mod qpsk --channel awgn --ebn0 0:3 --quiet -o /dev/stdout | grep -c '^ebn0_db')" = 1 ] &&
    ok || bad "-o /dev/stdout: more than one table"
expect_usage "exclude each other" sim --mod qpsk --channel rayleigh --csi perfect --pilot-spacing 8 --ebn0 10
expect_usage "--rx is not an option of theory" theory --mod qpsk --channel awgn --ebn0 1 --rx hard

# A code's errors speak the user's words, not a function's name.
err=$("$bersim" sim --mod bpsk --channel awgn --code hamming47 --ebn0 1 2>&1 >/dev/null)
[[ $err == *"unknown code 'hamming47'"* && $err != *ch_code* ]] && ok || bad "--code message: $err"

# An option that takes no value, given one, is named (not the value as a stray option).
expect_usage "--quiet takes no value" sim --mod qpsk --channel awgn --ebn0 5 --quiet=1
expect_usage "--count-overhead takes no value" sim --ofdm 64 --mod qpsk --ebn0 5 --count-overhead=yes
# --opt=value beside --opt value; a near miss of a command is suggested.
"$bersim" theory --mod=bpsk --channel=awgn --ebn0=0,3 >"$dir/eq.tsv" &&
    [ "$(grep -c -v '^#' "$dir/eq.tsv")" = 3 ] && ok || bad "--opt=value: $(cat "$dir/eq.tsv")"
expect_usage "did you mean 'theory'" theroy --mod bpsk --channel awgn --ebn0 1
expect_usage "--ebn0 given twice" sim --mod bpsk --channel awgn --ebn0=1 --ebn0 2

# Names in any case; a near miss of a name or an option is suggested.
expect_ok sim --mod QPSK --channel Rayleigh --rx MaxLog --ebn0 5 --max-bits 1e4 --quiet
expect_usage "did you mean 'qpsk'" sim --mod qpks --channel awgn --ebn0 1
expect_usage "did you mean 'maxlog'" sim --mod qpsk --channel awgn --rx maxlgo --ebn0 1
expect_usage "did you mean 'rayleigh'" sim --mod qpsk --channel raleigh --ebn0 1
expect_usage "did you mean '--ebn0'" sim --mod qpsk --channel awgn --ebno 1
expect_usage "did you mean '--hidden'" train --mod qpsk --channel awgn --ebn0 1 --hiden 8 -o "$dir/x.model"
expect_usage "unknown modulation 'zzz' (bpsk" sim --mod zzz --channel awgn --ebn0 1

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
