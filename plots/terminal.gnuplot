# plots/terminal.gnuplot — loaded by every plot script: opens the output
# `out` as PNG or SVG (`fmt`) at `w` x `h` pixels. Text is noenhanced because
# opcode and workload names are full of underscores, which enhanced text
# would turn into subscripts.
if (fmt eq 'svg') {
    set terminal svg size w,h dynamic noenhanced font 'DejaVu Sans,12' background rgb 'white'
} else {
    # pngcairo antialiases; plain png (libgd) is the fallback on builds without cairo
    if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
        set terminal pngcairo size w,h noenhanced font 'DejaVu Sans,10' background rgb 'white'
    } else {
        set terminal png size w,h noenhanced font 'DejaVu Sans,9' background rgb 'white'
    }
}
set output out
