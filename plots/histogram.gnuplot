# plots/histogram.gnuplot — one horizontal bar per opcode, largest first.
# Variables (-e): data = CSV `opcode,family,value` already sorted and cut to
# the top N; total = the workload's total of that value (for percentages);
# out, fmt (png|svg), title, xlabel.
set datafile separator ','
stats data using 3 nooutput
n = STATS_records
maxv = STATS_max
w = 1100
h = 150 + 24 * n
load 'plots/terminal.gnuplot'

set title title
set xlabel xlabel
unset key
set border 3
set tics nomirror
set grid xtics lc rgb '#dddddd'
set ytics scale 0
set format x '%.1s%c'
# first row at the top; headroom on the right for the value labels
set yrange [n - 0.4 : -0.6]
set xrange [0 : maxv * 1.32]
set style fill solid 0.85 noborder
set lmargin 26

plot data using ($3 / 2):0:($3 / 2):(0.38):yticlabels(1) with boxxyerror lc rgb '#4c72b0', \
     '' using 3:0:(sprintf(' %.0f  (%.1f%%)', $3, 100.0 * $3 / total)) with labels left font ',9'
