# plots/compare.gnuplot — commit comparison: per workload, the ratio of B's
# wall time to A's (min and median), drawn as bars from 1.0 so that small
# differences are visible; left of the line B is faster.
# Variables (-e): data = CSV `workload,ratio_min,ratio_median` with a header;
# out, fmt (png|svg), title.
set datafile separator ','
stats data skip 1 using 2 nooutput
n = STATS_records
lo = STATS_min
hi = STATS_max
stats data skip 1 using 3 nooutput
lo = (STATS_min < lo ? STATS_min : lo)
hi = (STATS_max > hi ? STATS_max : hi)
# at least +-5% around 1.0, and room for the labels either side
lo = (lo < 0.95 ? lo : 0.95)
hi = (hi > 1.05 ? hi : 1.05)
pad = (hi - lo) * 0.18
w = 1000
h = 190 + 60 * n
load 'plots/terminal.gnuplot'

set title title
set xlabel 'wall time B / A   (< 1: B is faster)'
set key outside bottom center horizontal
set bmargin 6    # the key sits below the x label
set border 3
set tics nomirror
set grid xtics lc rgb '#dddddd'
set ytics scale 0
set yrange [n - 0.5 : -0.5]
set xrange [lo - pad : hi + pad]
set style fill solid 0.9 noborder
set lmargin 30
set arrow 1 from 1, graph 0 to 1, graph 1 nohead lw 1.5 lc rgb 'black' front
side(r) = (r >= 1 ? 1 : -1)
bh = 0.18
hh = 0.15

plot data skip 1 using ((1 + $2) / 2):($0 - bh):(abs($2 - 1) / 2):(hh):yticlabels(1) with boxxyerror lc rgb '#4c72b0' title 'min', \
     '' skip 1 using ((1 + $3) / 2):($0 + bh):(abs($3 - 1) / 2):(hh) with boxxyerror lc rgb '#dd8452' title 'median', \
     '' skip 1 using ($2 + side($2) * pad * 0.3):($0 - bh):(sprintf('%.3f', $2)) with labels font ',9' notitle, \
     '' skip 1 using ($3 + side($3) * pad * 0.3):($0 + bh):(sprintf('%.3f', $3)) with labels font ',9' notitle
