# Learning curve of bersim train (--log): training and validation loss against the step.
# Variables, set with gnuplot -e before this script:
#   in    the curve table (columns step, train_loss, val_loss, lr)
#   out   output file; its extension picks the terminal: .png, .svg or .pdf
#   plot_title (optional)
if (!exists("in")) { print "curve.gp: set in='curve.tsv'"; exit status 2 }
if (!exists("out")) out = "curve.png"
if (!exists("fmt")) fmt = out[strlen(out) - 2:strlen(out)]
if (!exists("plot_title")) plot_title = "Learning curve"
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
set key top right box opaque
plot in using "step":"train_loss" with linespoints pointtype 7 pointsize 0.6 title "training batches", \
     in using "step":"val_loss" with linespoints pointtype 5 pointsize 0.6 title "validation set"
