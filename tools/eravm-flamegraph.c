/* tools/eravm-flamegraph.c — the `eravm-flamegraph` command: turns a folded
 * stacks file (from scripts/flamegraph or eravm-bench --flamegraph) into an
 * interactive flamegraph SVG with bench/flamesvg.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flamesvg.h"

static const char *usage_text =
    "usage: eravm-flamegraph [--title T] [--unit U] FOLDED [SVG]\n"
    "  FOLDED  folded stacks, one 'frame;frame;... WEIGHT' per line ('-' = stdin)\n"
    "  SVG     output (default: FOLDED with .folded replaced by .svg; '-' = stdout)\n"
    "  --title T   heading (default \"Flame Graph\")\n"
    "  --unit U    what the weights count (default \"samples\")\n"
    "  --diff      colour as a differential graph: labels ending in [+x%] red, [-x%] blue\n";

static int flamegraph_usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "eravm-flamegraph: %s%s (try --help)\n", what, arg ? arg : "");
    return 2;
}

int main(int argc, char **argv)
{
    const char *title = NULL, *unit = NULL, *paths[2] = {NULL, NULL};
    int npaths = 0, options_done = 0, diff = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!options_done && (!strcmp(a, "--title") || !strcmp(a, "--unit"))) {
            if (i + 1 >= argc)
                return flamegraph_usage_error("missing value after ", a);
            if (!strcmp(a, "--title"))
                title = argv[++i];
            else
                unit = argv[++i];
        } else if (!options_done && !strncmp(a, "--title=", 8)) {
            title = a + 8;
        } else if (!options_done && !strncmp(a, "--unit=", 7)) {
            unit = a + 7;
        } else if (!options_done && !strcmp(a, "--diff")) {
            diff = 1;
        } else if (!options_done && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
            fputs(usage_text, stdout);
            return 0;
        } else if (!options_done && !strcmp(a, "--")) {
            options_done = 1;
        } else if (!options_done && a[0] == '-' && a[1] != '\0') {
            return flamegraph_usage_error("unknown option ", a);
        } else if (npaths < 2) {
            paths[npaths++] = a;
        } else {
            return flamegraph_usage_error("unexpected argument ", a);
        }
    }
    if (npaths == 0)
        return flamegraph_usage_error("missing FOLDED file", NULL);

    char *derived = NULL;
    const char *svg = paths[1];
    if (!svg) {
        /* "-" in, "-" out: a pipe has no name to derive one from. */
        if (!strcmp(paths[0], "-")) {
            svg = "-";
        } else {
            size_t n = strlen(paths[0]);
            if (n > 7 && !strcmp(paths[0] + n - 7, ".folded"))
                n -= 7;
            derived = malloc(n + 5);
            if (!derived) {
                fputs("eravm-flamegraph: out of memory\n", stderr);
                return 1;
            }
            memcpy(derived, paths[0], n);
            memcpy(derived + n, ".svg", 5);
            svg = derived;
        }
    }
    int rc = flamesvg_render_diff(paths[0], svg, title, unit, diff) ? 1 : 0;
    free(derived);
    return rc;
}
