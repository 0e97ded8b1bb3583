# One OFDM frame's channel (bersim export --ofdm ... -o in): the magnitude of the true frequency
# response over the subcarriers with the LS and LMMSE estimates from the pilots, which are
# marked. Variables, set with gnuplot -e before this script:
#   in           the table (columns subcarrier, pilot, h_re, h_im, h_abs, ls_re, ls_im,
#                lmmse_re, lmmse_im)
#   out          output file, .png, .svg or .pdf
#   plot_title   (optional) title of the figure

if (!exists("out")) out = "ofdm_response.png"
if (!exists("plot_title")) plot_title = "Channel frequency response and its estimates"
fmt = out[strlen(out) - 2:strlen(out)]
if (fmt eq "png") {
    set terminal pngcairo size 960, 560 enhanced font "sans,11"
} else {
    if (fmt eq "svg") {
        set terminal svg size 960, 560 enhanced font "sans,11" dynamic
    } else {
        set terminal pdfcairo size 7in, 4in enhanced font "sans,9"
    }
}
set output out
set datafile separator tab
set datafile columnheaders
set grid
set xlabel "subcarrier k"
set ylabel "|H_k|"
set title plot_title noenhanced
set key top right
plot in using 'subcarrier':'h_abs' with lines linewidth 2 linecolor rgb "#000000" title "true", \
     in using 'subcarrier':(sqrt(column('ls_re')**2 + column('ls_im')**2)) with linespoints \
        pointtype 6 linecolor rgb "#d62728" title "LS, linear interpolation", \
     in using 'subcarrier':(sqrt(column('lmmse_re')**2 + column('lmmse_im')**2)) with linespoints \
        pointtype 4 linecolor rgb "#1f77b4" title "LMMSE", \
     in using 'subcarrier':(column('pilot') > 0 ? column('h_abs') : 1/0) with points pointtype 7 \
        pointsize 1.3 linecolor rgb "#2ca02c" title "pilot subcarriers"
