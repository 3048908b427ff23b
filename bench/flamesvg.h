/* bench/flamesvg.h — renders folded stacks ("a;b;c 42" per line) as an
 * interactive flamegraph SVG (hover titles, click to zoom, search). */
#ifndef FLAMESVG_H
#define FLAMESVG_H

/* Reads folded stacks from `folded`, writes an SVG to `svg`; `title` heads
 * it and `unit` names the weights ("ergs", "instructions", "samples").
 * Returns 0, or -1 with a message on stderr. */
int flamesvg_render(const char *folded, const char *svg, const char *title, const char *unit);

#endif
