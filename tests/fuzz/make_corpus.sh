#!/usr/bin/env bash
# Writes the fuzzers' seed corpora from valid files: make_corpus.sh BERSIM OUTDIR.
#   OUTDIR/files/          valid models (a few training steps each) and constellation files,
#                          the files the command lines below name (fuzz_cli runs among copies)
#   OUTDIR/nn_model/       the models (fuzz_nn_model, fuzz_nn_model_crc, fuzz_learned_model)
#   OUTDIR/modem/          the constellation files (fuzz_modem)
#   OUTDIR/checkpoint/     checkpoints of train --checkpoint (fuzz_checkpoint, _crc): a detector,
#                          an OFDM receiver and a decoder
#   OUTDIR/cli/            command lines of every subcommand, one argument a line (fuzz_cli):
#                          valid ones, and a few that the checks refuse
#   OUTDIR/table/          tables that bersim plot reads (fuzz_table): sim, coded sim, theory,
#                          coded theory and learning curves, a few malformed ones, and inputs of
#                          several tables (separated by a line holding only a form feed)
# Run by the build (target fuzz_corpus); the models are tiny (hidden width 8, 3 steps).
set -euo pipefail
bersim=$(realpath "$1")
out=$2
rm -rf "$out"
mkdir -p "$out/files" "$out/nn_model" "$out/modem" "$out/cli" "$out/table" "$out/checkpoint"
cd "$out/files"

train() {
    local name=$1
    shift
    "$bersim" train "$@" --steps 3 --batch 16 --quiet -o "$name" >/dev/null
}
# the links of fuzz_learned_model.c, and the other kinds of model
train qpsk.model --mod qpsk --channel awgn --ebn0 0:10 --hidden 8
train pilot.model --mod 16qam --channel rayleigh --coherence 4 --csi pilot --ebn0 0:20 --hidden 8
train h74.model --mod bpsk --channel awgn --code hamming74 --ebn0 0:6 --hidden 8
train polar.model --mod bpsk --channel awgn --code polar16_8 --ebn0 0:6 --hidden 8
train eq.model --mod 8psk --channel rician --k-factor 2 --ebn0 0:20 --hidden 8
train ofdm.model --ofdm 8 --pilots 2 --mod qpsk --ebn0 10:20 --hidden 8
train ofdm_mlp.model --ofdm 8 --pilots 2 --mod qpsk --ebn0 10:20 --arch mlp --hidden 8,8
train e2e.model --e2e 7,4 --ebn0 4:8 --hidden 8
train e2e_ray.model --e2e 2,2 --channel rayleigh --ebn0 4:8 --hidden 8
train c16.model --e2e-constellation 16 --ebn0 2:6 --hidden 8,8
cp ./*.model ../nn_model/

# checkpoints (fuzz_checkpoint): written at step 2 of 3 (rows every step)
ckpt() {
    local name=$1
    shift
    "$bersim" train "$@" --steps 3 --batch 16 --quiet -o ckpt.model --checkpoint "../checkpoint/$name" \
        --checkpoint-every 2 >/dev/null
}
ckpt qpsk.ckpt --mod qpsk --channel awgn --ebn0 0:10 --hidden 8
ckpt ofdm.ckpt --ofdm 8 --pilots 2 --mod qpsk --ebn0 10:20 --hidden 8
ckpt h74.ckpt --mod bpsk --channel awgn --code hamming74 --ebn0 0:6 --hidden 8,4
rm -f ckpt.model

# constellation files: binary and decimal labels, comments, orders 2 to 64
printf '0 -1 0\n1 1 0\n' > bpsk.txt
printf '# QPSK, Gray\n00 0.7071 0.7071\n01 -0.7071 0.7071  # a comment\n11 -0.7071 -0.7071\n10 0.7071 -0.7071\n' > qpsk.txt
awk 'BEGIN { pi = atan2(0, -1); for (i = 0; i < 8; i++) printf "%d %.6f %.6f\n", i, cos(2*pi*i/8), sin(2*pi*i/8) }' > psk8.txt
awk 'BEGIN { for (i = 0; i < 16; i++) { b = ""; for (j = 3; j >= 0; j--) b = b int(i / 2^j) % 2; printf "%s %d %d\n", b, 2*(i%4)-3, 2*int(i/4)-3 } }' > c16.txt
awk 'BEGIN { for (i = 0; i < 64; i++) printf "%d %d %de-1\n", i, 2*(i%8)-7, 2*int(i/8)-7 }' > c64.txt
printf '1\t1e0\t-2.5E-1\n\n0\t-1\t0.25\n' > tabs.txt
cp ./*.txt ../modem/

# tables of bersim plot (fuzz_table): short runs of sim, theory and a learning curve (train --log)
tables=../table
"$bersim" sim --mod qpsk --channel awgn --ebn0 0:2:10 --max-bits 2e4 --quiet -o "$tables/sim.tsv"
"$bersim" sim --mod bpsk --channel awgn --code hamming74 --ebn0 0:2:6 --max-bits 2e4 --quiet \
    -o "$tables/coded.tsv"
"$bersim" sim --mod qpsk --channel rayleigh --coherence 4 --csi pilot --ebn0 0:10:20 \
    --max-bits 2e4 --quiet -o "$tables/pilot.tsv"
"$bersim" theory --mod qpsk --channel awgn --ebn0 0:1:10 -o "$tables/theory.tsv" >/dev/null
"$bersim" theory --mod bpsk --channel awgn --code hamming74 --decoder hard --ebn0 0:2:6 \
    -o "$tables/theory_coded.tsv" >/dev/null
train curve.model --mod qpsk --channel awgn --ebn0 0:10 --hidden 8 --log "$tables/curve.tsv"
rm curve.model
sed 's/^# trained_by: .*/&\n# optimal_loss: 0.0625 (exact log-MAP)/' "$tables/curve.tsv" \
    > "$tables/curve_opt.tsv"
sed 's/$/\r/' "$tables/sim.tsv" > "$tables/crlf.tsv"
# malformed: not bersim's, no header, wrong columns, a short row, no rows, a NUL byte
printf 'just text\n1\t2\n' > "$tables/bad_notbersim.tsv"
printf '# version: bersim 0.1.0\n' > "$tables/bad_noheader.tsv"
printf '# version: bersim 0.1.0\nfoo\tbar\n1\t2\n' > "$tables/bad_columns.tsv"
printf '# version: bersim 0.1.0\nebn0_db\tesn0_db\tber\tser\n1\t2\t3\n' > "$tables/bad_short.tsv"
printf '# version: bersim 0.1.0\nebn0_db\tber\n' > "$tables/bad_norows.tsv"
printf '# version: bersim 0.1.0\nebn0_db\tber\n1\t0\0\n' > "$tables/bad_nul.tsv"
# several tables in one input: a link's receivers and its theory, a code's, two curves, and a
# curve beside error rates (refused)
several() {
    local name=$1 first=1
    shift
    for t in "$@"; do
        [ $first = 1 ] || printf '\f\n'
        first=0
        cat "$tables/$t"
    done > "$tables/$name"
}
several multi_sim_theory.tsv sim.tsv pilot.tsv theory.tsv
several multi_coded.tsv coded.tsv theory_coded.tsv
several multi_curves.tsv curve.tsv curve_opt.tsv
several bad_multi_mixed.tsv sim.tsv curve.tsv

# command lines, one argument a line (the last three of sim, theory and train refused by the
# checks, and the last of plot)
n=0
line() {
    n=$((n + 1))
    printf '%s\n' "$@" > "../cli/$(printf '%03d' "$n")"
}
line sim --mod qpsk --channel awgn --ebn0 0:2:10
line sim --mod 16qam --channel rayleigh --ebn0 0:2:30 --rx exact --threads 2 --seed 7 -o out.tsv
line sim --mod 16qam --channel rayleigh --coherence 4 --csi pilot --ebn0 0:30 --min-errors 1e3 --max-bits 1e6
line sim --mod bpsk --channel rician --k-factor 3 --doppler 0.01 --ebn0 5 --quiet
line sim --constellation c16.txt --channel awgn --ebn0 0:1:8
line sim --mod bpsk --channel awgn --code hamming74 --decoder ml --ebn0 0:8 --min-block-errors 50
line sim --mod bpsk --channel awgn --code polar:64,32 --decoder scl:4 --design-snr 1.5 --ebn0 0:4
line sim --mod bpsk --channel awgn --code polar16_8 --decoder nn --model polar.model --ebn0 0:6
line sim --mod qpsk --channel awgn --rx nn --model qpsk.model --ebn0 0:10
line sim --e2e-model e2e.model --ebn0 0:8
line sim --e2e-model c16.model --channel rayleigh --ebn0 0:8
line sim --ofdm 64 --cp 16 --profile eva --pilots 8 --est lmmse --mod qpsk --ebn0 0:5:30
line sim --ofdm 8 --pilots 2 --mod qpsk --rx nn --model ofdm.model --ebn0 10:20
line sim --ofdm 64 --mod 16qam --ofdm-symbols 4 --doppler 0.01 --clip 2 --cfo 0.05 --count-overhead --profile etu --sample-rate 1e6 --est perfect --ebn0 10
line theory --mod 16qam --channel rayleigh --ebn0 0:0.5:30 -o theory.tsv
line theory --mod bpsk --channel awgn --code golay24 --decoder hard --ebn0 0:8
line theory --mod qpsk --ofdm 64 --est perfect --cp 16 --ebn0 0:30
line theory --mod 8psk --channel rician --k-factor 1.5 --ebn0 0:20
line train --mod 16qam --channel rayleigh --ebn0 0:30 -o m.model --steps 100 --log curve.tsv
line train --mod bpsk --channel awgn --code hamming1511 --rx exact --ebn0 0:6 -o d.model --hidden 64,32 --lr 0.01
line train --e2e 7,4 --ebn0 4:8 -o ae.model --batch 256 --seed 3
line train --e2e-constellation 16 --channel rayleigh --ebn0 2:6 -o c.model
line train --ofdm 64 --pilots 8 --profile eva --mod qpsk --ebn0 15:35 --arch mlp -o o.model
line export --e2e-model c16.model -o c16.tsv --esn0 10
line export --e2e-model e2e.model
line export --ofdm 64 --pilots 8 --mod 16qam --profile etu --ebn0 20 --seed 2 -o frame.tsv
line demo -o results --threads 2
line demo --study autoencoder
line bench --only gauss --threads 1
line bench --only ofdm_nn
line bench --only gauss,bpsk_awgn --repeat 3
line sim --mod qpsk --channel awgn --ebn0 10:0
line train --mod qpsk --channel awgn --ebn0 0:10
line theory --constellation c16.txt --channel awgn --ebn0 0
line plot sim.tsv theory.tsv -o ber.svg
line plot coded.tsv theory_coded.tsv -m bler -t Hamming -o bler.pdf --quiet
line plot curve.tsv -o curve.png
line plot -o fig.gif sim.tsv
