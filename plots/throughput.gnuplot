# plots/throughput.gnuplot — grouped horizontal bars: one group per workload,
# one bar per build (fast, counting, simple).
# Variables (-e): data = CSV `label,fast,counting,simple` without a header
# (an empty field is a build that was not measured); out, fmt (png|svg),
# title, xlabel, fmtv = printf format of the value labels.
set datafile separator ','
max3(a, b, c) = (a > b ? (a > c ? a : c) : (b > c ? b : c))
v(x) = (x == x ? x : 0)    # NaN (missing) counts as 0 for the axis range
stats data using (max3(v($2), v($3), v($4))) nooutput
n = STATS_records
maxv = STATS_max
w = 1100
h = 170 + 40 * n
load 'plots/terminal.gnuplot'

set title title
set xlabel xlabel
set key outside bottom center horizontal
set bmargin 6    # the key sits below the x label
set border 3
set tics nomirror
set grid xtics lc rgb '#dddddd'
set ytics scale 0
set yrange [n - 0.45 : -0.55]
set xrange [0 : maxv * 1.2]
set style fill solid 0.9 noborder
set lmargin 30
bh = 0.28    # distance between the bars of one group
hh = 0.13    # half a bar's height

plot data using ($2 / 2):($0 - bh):($2 / 2):(hh):yticlabels(1) with boxxyerror lc rgb '#4c72b0' title 'fast', \
     '' using ($3 / 2):0:($3 / 2):(hh) with boxxyerror lc rgb '#dd8452' title 'counting', \
     '' using ($4 / 2):($0 + bh):($4 / 2):(hh) with boxxyerror lc rgb '#55a868' title 'simple', \
     '' using 2:($0 - bh):(sprintf(fmtv, $2)) with labels left font ',8' notitle, \
     '' using 3:0:(sprintf(fmtv, $3)) with labels left font ',8' notitle, \
     '' using 4:($0 + bh):(sprintf(fmtv, $4)) with labels left font ',8' notitle
