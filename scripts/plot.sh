#!/usr/bin/env bash
# One command from result tables to a figure:
#   bash scripts/plot.sh [-o OUT.png|.svg|.pdf] [-t TITLE] TABLE...
# Simulated tables (those with a ber_lo column) become points with error bars, theory tables
# lines; key titles come from each table's metadata (modulation, channel, receiver).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=ber.png
title=
usage() { echo "usage: plot.sh [-o OUT.png|.svg|.pdf] [-t TITLE] TABLE..." >&2; exit 2; }
while getopts "o:t:h" opt; do
    case $opt in
        o) out=$OPTARG ;;
        t) title=$OPTARG ;;
        *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || usage
case ${out##*.} in
    png|svg|pdf) ;;
    *) echo "plot.sh: -o '$out' must end in .png, .svg or .pdf" >&2; exit 2 ;;
esac
command -v gnuplot >/dev/null || { echo "plot.sh: gnuplot is not installed (bash scripts/setup.sh)" >&2; exit 2; }

meta() { sed -n "s/^# $1: //p" "$2" | head -n 1; }
quote() { printf "'%s'" "${1//\'/\'\'}"; }

sims=() sim_titles=() theories=() theory_titles=()
for f in "$@"; do
    [ -r "$f" ] || { echo "plot.sh: cannot read '$f'" >&2; exit 2; }
    header=$(grep -v '^#' "$f" | head -n 1)
    case $header in
        ebn0_db*) ;;
        *) echo "plot.sh: '$f' is not a bersim table (no ebn0_db header)" >&2; exit 2 ;;
    esac
    what="$(meta modulation "$f"), $(meta channel "$f")"
    if [[ $header == *ber_lo* ]]; then
        sims+=("$f"); sim_titles+=("$what, $(meta receiver "$f") (simulated)")
    else
        theories+=("$f"); theory_titles+=("$what, theory")
    fi
done
[ -n "$title" ] || title="Bit error rate: $(meta modulation "$1"), $(meta channel "$1")"

cmd="out=$(quote "$out"); plot_title=$(quote "$title"); ns=${#sims[@]}; nt=${#theories[@]};"
cmd+=" array S[${#sims[@]} > 0 ? ${#sims[@]} : 1]; array ST[${#sims[@]} > 0 ? ${#sims[@]} : 1];"
cmd+=" array T[${#theories[@]} > 0 ? ${#theories[@]} : 1]; array TT[${#theories[@]} > 0 ? ${#theories[@]} : 1];"
for i in "${!sims[@]}"; do
    cmd+=" S[$((i + 1))]=$(quote "${sims[$i]}"); ST[$((i + 1))]=$(quote "${sim_titles[$i]}");"
done
for i in "${!theories[@]}"; do
    cmd+=" T[$((i + 1))]=$(quote "${theories[$i]}"); TT[$((i + 1))]=$(quote "${theory_titles[$i]}");"
done
tmp="$out.tmp.$$"
# gnuplot writes to a temporary name; the figure appears whole or not at all.
cmd=${cmd/out=$(quote "$out")/out=$(quote "$tmp"); fmt=$(quote "${out##*.}")}
if ! gnuplot -e "$cmd" "$here/ber.gp"; then
    rm -f "$tmp"
    echo "plot.sh: gnuplot failed on $*" >&2
    exit 1
fi
mv -f "$tmp" "$out"
echo "$out"
