# BER against Eb/N0 on a log axis from bersim result tables (README: File formats).
#
# Simulated tables are drawn as points with their confidence intervals (ber_lo, ber_hi) as error
# bars, theory tables as lines. Variables, set with gnuplot -e before this script:
#   out          output file; its extension picks the terminal: .png, .svg or .pdf
#   fmt          (optional) png, svg or pdf, overriding the extension
#   plot_title   (optional) title of the figure
#   metric       (optional) ber (default) or bler: which rate to draw
#   ns, S[ns], ST[ns]   simulated tables and their key titles
#   SC[ns]       (optional) their colours ("#rrggbb")
#   nt, T[nt], TT[nt], TC[nt]   theory tables, their key titles and the column to draw
#   TK[nt]       (optional) their colours: a theory line takes its simulated curve's
#   nz           (optional) the number of points without errors: when > 0, the key explains
#                their marker (a downward arrow from the interval's top, ber_hi: an upper bound)
# `bersim plot` fills these from the tables' metadata; use it rather than this script alone.

if (!exists("out")) out = "ber.png"
if (!exists("ns")) ns = 0
if (!exists("nt")) nt = 0
if (!exists("fmt")) fmt = out[strlen(out) - 2:strlen(out)]
if (!exists("plot_title")) plot_title = "Bit error rate"
if (!exists("metric")) metric = "ber"
if (!exists("nz")) nz = 0

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
set key top right box opaque noenhanced
set mytics 10
# Room at both ends so that the first and last points are not cut by the frame.
set autoscale xfix
set offsets 0.5, 0.5, 0, 0

# Zero counts have no place on a log axis: such a point is drawn as its upper bound instead.
positive(v) = v > 0 ? v : NaN
zero(v, top) = v == 0 && top > 0 ? top : NaN

lo = metric . "_lo"
hi = metric . "_hi"
palette = "#1f77b4 #d62728 #2ca02c #ff7f0e #9467bd #8c564b #e377c2 #17becf #7f7f7f #bcbd22"
if (!exists("SC")) { array SC[ns > 0 ? ns : 1]; do for [i=1:(ns > 0 ? ns : 1)] { SC[i] = word(palette, (i - 1) % 10 + 1) } }
if (!exists("TC")) { array TC[nt > 0 ? nt : 1]; do for [i=1:(nt > 0 ? nt : 1)] { TC[i] = "ber" } }
if (!exists("TK")) { array TK[nt > 0 ? nt : 1]; do for [i=1:(nt > 0 ? nt : 1)] { TK[i] = word(palette, (ns + i - 1) % 10 + 1) } }
sims = "for [i=1:ns] S[i] using 'ebn0_db':(positive(column(metric))):(positive(column(lo))):(column(hi)) with yerrorbars pointtype (4 + 2 * (i - 1)) pointsize 1.2 linecolor rgb SC[i] title ST[i]"
# A point without errors: a downward arrow from its interval's top, and the top marked.
bounds = "for [i=1:ns] S[i] using 'ebn0_db':(zero(column(metric), column(hi))):(0):(-0.7 * zero(column(metric), column(hi))) with vectors head size screen 0.012, 25 filled linewidth 1.5 linecolor rgb SC[i] notitle, " . \
         "for [i=1:ns] S[i] using 'ebn0_db':(zero(column(metric), column(hi))) with points pointtype 1 pointsize 1.6 linewidth 1.5 linecolor rgb SC[i] notitle"
bound_key = "keyentry with vectors head filled linecolor rgb '#000000' title sprintf('no errors: %s 95%% upper bound', metric)"
array TD[nt > 0 ? nt : 1]
do for [i=1:nt] { TD[i] = TC[i] eq "bler_ub" ? 2 : 1 }
theories = "for [i=1:nt] T[i] using 'ebn0_db':(positive(column(TC[i]))) with lines linewidth 2 linecolor rgb TK[i] dashtype TD[i] title TT[i]"
# An empty iteration still trips gnuplot 5.4, so only the non-empty groups are plotted.
group = ns > 0 ? sims . (nz > 0 ? ", " . bounds . ", " . bound_key : "") : ""
if (nt > 0) { group = group . (ns > 0 ? ", " : "") . theories }
eval "plot " . group
