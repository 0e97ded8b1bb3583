# BER against Eb/N0 on a log axis from bersim result tables (README: File formats).
#
# Simulated tables are drawn as points with their confidence intervals (ber_lo, ber_hi) as error
# bars, theory tables as lines. Variables, set with gnuplot -e before this script:
#   out          output file; its extension picks the terminal: .png, .svg or .pdf
#   fmt          (optional) png, svg or pdf, overriding the extension
#   plot_title   (optional) title of the figure
#   metric       (optional) ber (default) or bler: which rate to draw
#   ns, S[ns], ST[ns]   simulated tables and their key titles
#   nt, T[nt], TT[nt], TC[nt]   theory tables, their key titles and the column to draw
# scripts/plot.sh fills these from the tables' metadata; use it rather than this script alone.

if (!exists("out")) out = "ber.png"
if (!exists("ns")) ns = 0
if (!exists("nt")) nt = 0
if (!exists("fmt")) fmt = out[strlen(out) - 2:strlen(out)]
if (!exists("plot_title")) plot_title = "Bit error rate"
if (!exists("metric")) metric = "ber"

if (fmt eq "png") {
    set terminal pngcairo size 960, 700 enhanced font "sans,11"
} else {
    if (fmt eq "svg") {
        set terminal svg size 960, 700 enhanced font "sans,11" dynamic
    } else {
        if (fmt eq "pdf") {
            set terminal pdfcairo size 6in, 4.4in enhanced font "sans,9"
        } else {
            print sprintf("ber.gp: cannot tell the format of '%s' (png, svg or pdf)", out)
            exit status 2
        }
    }
}
set output out

set datafile separator tab
set datafile columnheaders
set logscale y
set format y "10^{%L}"
set grid xtics ytics mytics
set xlabel "E_b/N_0 (dB)"
set ylabel (metric eq "bler" ? "Block error rate" : "Bit error rate")
set title plot_title noenhanced
set key bottom left box opaque noenhanced
set mytics 10
# Room at both ends so that the first and last points are not cut by the frame.
set autoscale xfix
set offsets 0.5, 0.5, 0, 0

# Zero counts have no place on a log axis.
positive(v) = v > 0 ? v : NaN

lo = metric . "_lo"
hi = metric . "_hi"
sims = "for [i=1:ns] S[i] using 'ebn0_db':(positive(column(metric))):(positive(column(lo))):(column(hi)) with yerrorbars pointtype (4 + 2 * (i - 1)) pointsize 1.2 linetype i title ST[i]"
if (!exists("TC")) { array TC[nt > 0 ? nt : 1]; do for [i=1:(nt > 0 ? nt : 1)] { TC[i] = "ber" } }
theories = "for [i=1:nt] T[i] using 'ebn0_db':(positive(column(TC[i]))) with lines linewidth 2 linetype (ns + i) dashtype 1+i title TT[i]"
# An empty iteration still trips gnuplot 5.4, so only the non-empty groups are plotted.
if (ns > 0 && nt > 0) { eval "plot " . sims . ", " . theories }
if (ns > 0 && nt == 0) { eval "plot " . sims }
if (ns == 0 && nt > 0) { eval "plot " . theories }
