# A learned constellation from bersim export (columns message, bits, re, im): its points with
# their bit labels. Variables, set with gnuplot -e before this script:
#   in           the table written by bersim export --e2e-model FILE -o in
#   out          output file, .png, .svg or .pdf
#   plot_title   (optional) title of the figure

if (!exists("out")) out = "constellation.png"
if (!exists("plot_title")) plot_title = "Learned constellation"
fmt = out[strlen(out) - 2:strlen(out)]
if (fmt eq "png") {
    set terminal pngcairo size 760, 760 enhanced font "sans,11"
} else {
    if (fmt eq "svg") {
        set terminal svg size 760, 760 enhanced font "sans,11" dynamic
    } else {
        set terminal pdfcairo size 5in, 5in enhanced font "sans,9"
    }
}
set output out
set datafile separator tab
set datafile columnheaders
set size square
set grid
set xlabel "in-phase"
set ylabel "quadrature"
set title plot_title noenhanced
set key off
set offsets 0.3, 0.3, 0.3, 0.3
plot in using 're':'im' with points pointtype 7 pointsize 1.5 linecolor rgb "#1f77b4", \
     in using 're':'im':(stringcolumn('bits')) with labels offset 0, 1.1 font ",9"
