/* bench/flamesvg.h — renders folded stacks ("a;b;c 42" per line) as an
 * interactive flamegraph SVG (hover titles, click to zoom, search). */
#ifndef FLAMESVG_H
#define FLAMESVG_H

#include <stdbool.h>

/* Reads folded stacks from `folded`, writes an SVG to `svg`; `title` heads
 * it and `unit` names the weights ("ergs", "instructions", "samples").
 * Returns 0, or -1 with a message on stderr. */
int flamesvg_render(const char *folded, const char *svg, const char *title, const char *unit);
/* The same, coloured as a differential graph when diff: red where a
 * frame's label ends in a growth " [+x%]", blue in a shrink " [-x%]" (as
 * scripts/compare-commits labels them), dark red " [new]". */
int flamesvg_render_diff(const char *folded, const char *svg, const char *title, const char *unit, bool diff);

#endif
