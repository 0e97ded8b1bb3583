# Learning curves of bersim train (--log): training and validation loss against the step.
# Variables, set with gnuplot -e before this script (`bersim plot curve.tsv -o FIG` sets them):
#   in    one curve table (columns step, train_loss, val_loss, lr), or
#   nc, C[nc], CT[nc]  several, with their key titles (from what differs between them)
#   CC[nc]   (optional) their colours ("#rrggbb")
#   CR[nc]   (optional) the loss of the optimal receiver on the curve's link, from its metadata
#            (optimal_loss); <= 0: none known, no line
#   out   output file; its extension picks the terminal: .png, .svg or .pdf
#   fmt   (optional) png, svg or pdf, overriding the extension
#   plot_title (optional)
if (!exists("nc")) {
    if (!exists("in")) { print "curve.gp: set in='curve.tsv'"; exit status 2 }
    nc = 1; array C[1]; array CT[1]; C[1] = in; CT[1] = ""
}
if (!exists("out")) out = "curve.png"
if (!exists("fmt")) fmt = out[strlen(out) - 2:strlen(out)]
if (!exists("plot_title")) plot_title = "Learning curve"
palette = "#1f77b4 #d62728 #2ca02c #ff7f0e #9467bd #8c564b #e377c2 #17becf #7f7f7f #bcbd22"
if (!exists("CC")) { array CC[nc]; do for [i=1:nc] { CC[i] = word(palette, (i - 1) % 10 + 1) } }
if (!exists("CR")) { array CR[nc]; do for [i=1:nc] { CR[i] = -1 } }
if (fmt eq "png") {
    set terminal pngcairo size 960, 560 enhanced font "sans,11"
} else {
    if (fmt eq "svg") {
        set terminal svg size 960, 560 enhanced font "sans,11" dynamic
    } else {
        set terminal pdfcairo size 6in, 3.5in enhanced font "sans,9"
    }
}
set output out
set datafile separator tab
set datafile columnheaders
set title plot_title noenhanced
set xlabel "optimizer step"
set ylabel "binary cross-entropy per symbol (nats)"
set grid xtics ytics mytics
set logscale y
set key top right box opaque noenhanced
sep(i) = CT[i] eq "" ? "" : ", "
nref = 0
do for [i=1:nc] { if (CR[i] > 0) { nref = nref + 1 } }
curves = "for [i=1:nc] C[i] using 'step':'train_loss' with lines linewidth 1 linecolor rgb CC[i] dashtype 3 title CT[i] . sep(i) . 'training batches', " . \
         "for [i=1:nc] C[i] using 'step':'val_loss' with linespoints pointtype 7 pointsize 0.6 linewidth 2 linecolor rgb CC[i] title CT[i] . sep(i) . 'validation set'"
# The optimal receiver's loss, drawn only where the curve's metadata give it.
refs = "for [i=1:nc] C[i] using 'step':(CR[i] > 0 ? CR[i] : NaN) with lines linewidth 1.5 dashtype 2 linecolor rgb CC[i] title (CR[i] > 0 ? CT[i] . sep(i) . sprintf('optimal receiver (%.4g)', CR[i]) : '')"
eval "plot " . curves . (nref > 0 ? ", " . refs : "")
