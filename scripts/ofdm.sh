#!/usr/bin/env bash
# The OFDM study: BER of perfect CSI, LS, LMMSE (and a learned receiver) over one link on one
# figure, with theory where it exists, and one frame's response beside its estimates.
#   bash scripts/ofdm.sh [-o DIR] [-m MODEL] [-- OFDM options of bersim sim]
# Defaults: --ofdm 64 --cp 16 --profile eva --pilots 8 --mod qpsk, Eb/N0 0..30 dB. With -m the
# learned receiver of MODEL (bersim train --ofdm ... with the same options) joins the figure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bersim=${BERSIM:-$root/build/bersim}
dir=ofdm_study
model=
usage() { echo "usage: ofdm.sh [-o DIR] [-m MODEL] [-- OFDM options of bersim sim]" >&2; exit 2; }
while getopts "o:m:h" opt; do
    case $opt in
        o) dir=$OPTARG ;;
        m) model=$OPTARG ;;
        *) usage ;;
    esac
done
shift $((OPTIND - 1))
link=(--ofdm 64 --cp 16 --profile eva --pilots 8 --mod qpsk)
[ $# -eq 0 ] || link=("$@")
[ -x "$bersim" ] || { echo "ofdm.sh: $bersim is not built (bash scripts/build.sh)" >&2; exit 2; }
mkdir -p "$dir"
grid=0:5:30
for est in perfect ls lmmse; do
    "$bersim" sim "${link[@]}" --est "$est" --rx maxlog --ebn0 $grid --seed 1 \
        --min-errors 200 -o "$dir/$est.txt"
done
tables=("$dir/perfect.txt" "$dir/ls.txt" "$dir/lmmse.txt")
if [ -n "$model" ]; then
    "$bersim" sim "${link[@]}" --rx nn --model "$model" --ebn0 $grid --seed 1 \
        --min-errors 200 -o "$dir/nn.txt"
    tables+=("$dir/nn.txt")
fi
if "$bersim" theory "${link[@]}" --est perfect --ebn0 $grid -o "$dir/theory.txt" 2>/dev/null; then
    tables+=("$dir/theory.txt")
fi
bash "$here/plot.sh" -o "$dir/ofdm_ber.png" "${tables[@]}"
"$bersim" export "${link[@]}" --ebn0 15 --seed 1 -o "$dir/frame.txt"
gnuplot -e "in='$dir/frame.txt'; out='$dir/ofdm_response.png'" "$here/ofdm_response.gp"
echo "ofdm.sh: $dir/ofdm_ber.png and $dir/ofdm_response.png"
