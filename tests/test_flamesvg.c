/* tests/test_flamesvg.c — renders small folded-stack inputs with
 * bench/flamesvg.c and reads the SVG back: box widths and positions,
 * prefix merging, XML escaping and well-formedness, rejection of malformed
 * lines, the empty profile, very deep stacks and 64-bit weights. */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "flamesvg.h"

/* 1200 px wide with 10 px margins each side. */
#define TEST_SPAN 1180.0

static char test_dir[] = "/tmp/test_flamesvg.XXXXXX";
static char test_in[256], test_out[256];

/* ---- running the renderer -------------------------------------------- */

static char *test_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s)
        s[n] = '\0';
    fclose(f);
    return s;
}

/* Renders `folded` (written to a file first) and returns the SVG text, or
 * NULL when flamesvg_render failed; *rc gets its return value. stderr is
 * silenced when the caller expects a failure, to keep the log readable. */
static char *test_render_ex(const char *folded, size_t len, const char *title, const char *unit,
                            int quiet, int *rc)
{
    FILE *f = fopen(test_in, "wb");
    if (!f || fwrite(folded, 1, len, f) != len || fclose(f)) {
        *rc = -2;
        return NULL;
    }
    remove(test_out);
    int saved = -1;
    if (quiet) {
        fflush(stderr);
        saved = dup(2);
        FILE *null = fopen("/dev/null", "w");
        if (null) {
            dup2(fileno(null), 2);
            fclose(null);
        }
    }
    *rc = flamesvg_render(test_in, test_out, title, unit);
    if (saved >= 0) {
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
    }
    return *rc ? NULL : test_slurp(test_out);
}

static char *test_render(const char *folded, const char *unit)
{
    int rc;
    return test_render_ex(folded, strlen(folded), "test", unit, 0, &rc);
}

/* ---- reading the SVG back --------------------------------------------- */

/* The nth (0-based) frame whose <title> names exactly `esc` (the name as it
 * appears escaped in the file); returns the start of its <g>, or NULL. */
static const char *test_frame(const char *svg, const char *esc, int nth)
{
    size_t n = strlen(esc);
    for (const char *p = svg; (p = strstr(p, "<g class=\"f\"><title>")) != NULL; p++) {
        const char *name = p + strlen("<g class=\"f\"><title>");
        if (!strncmp(name, esc, n) && !strncmp(name + n, " (", 2) && nth-- == 0)
            return p;
    }
    return NULL;
}

static int test_count_frames(const char *svg, const char *esc)
{
    int k = 0;
    while (test_frame(svg, esc, k))
        k++;
    return k;
}

static int test_count(const char *svg, const char *needle)
{
    int k = 0;
    for (const char *p = svg; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        k++;
    return k;
}

/* A numeric attribute of the frame's <rect> (NAN if absent). */
static double test_rect_attr(const char *frame, const char *attr)
{
    if (!frame)
        return NAN;
    const char *r = strstr(frame, "<rect ");
    const char *end = strstr(frame, "</g>");
    char key[32];
    snprintf(key, sizeof key, " %s=\"", attr);
    const char *a = r ? strstr(r, key) : NULL;
    if (!a || (end && a > end))
        return NAN;
    return strtod(a + strlen(key), NULL);
}

static double test_width(const char *svg, const char *esc)
{
    return test_rect_attr(test_frame(svg, esc, 0), "width");
}

static double test_x(const char *svg, const char *esc)
{
    return test_rect_attr(test_frame(svg, esc, 0), "x");
}

/* The frame's <title> or <text> content, copied into out. */
static const char *test_element(const char *frame, const char *open, const char *close, char *out,
                                size_t cap)
{
    out[0] = '\0';
    if (!frame)
        return out;
    const char *s = strstr(frame, open);
    s = s ? strchr(s, '>') : NULL;
    const char *e = s ? strstr(s, close) : NULL;
    if (s && e && (size_t)(e - s - 1) < cap) {
        memcpy(out, s + 1, (size_t)(e - s - 1));
        out[e - s - 1] = '\0';
    }
    return out;
}

static int test_near(double a, double b)
{
    return fabs(a - b) <= 0.0006; /* boxes are printed with 4 decimals */
}

/* A small XML well-formedness check, so the test does not depend on
 * xmllint: tags nest and close, attributes are quoted, every '&' starts a
 * known entity, and nothing follows the root element. */
static int test_well_formed(const char *s)
{
    const char *stack[64];
    size_t len[64];
    int depth = 0, roots = 0;
    while (*s) {
        if (*s == '<') {
            if (!strncmp(s, "<?", 2)) {
                s = strstr(s, "?>");
                if (!s)
                    return 0;
                s += 2;
            } else if (!strncmp(s, "<!--", 4)) {
                s = strstr(s, "-->");
                if (!s)
                    return 0;
                s += 3;
            } else if (!strncmp(s, "<![CDATA[", 9)) {
                if (!depth || !(s = strstr(s, "]]>")))
                    return 0;
                s += 3;
            } else if (s[1] == '/') {
                const char *n = s + 2;
                size_t l = strcspn(n, " \t\n>");
                if (!depth || l != len[depth - 1] || strncmp(n, stack[depth - 1], l))
                    return 0;
                depth--;
                s = strchr(n, '>');
                if (!s)
                    return 0;
                s++;
            } else {
                const char *n = s + 1;
                size_t l = strcspn(n, " \t\n/>");
                if (!l || (!depth && roots++))
                    return 0;
                s = n + l;
                for (;;) { /* attributes */
                    s += strspn(s, " \t\n");
                    if (*s == '>' || !strncmp(s, "/>", 2))
                        break;
                    size_t al = strcspn(s, "= \t\n/>");
                    if (!al || s[al] != '=' || (s[al + 1] != '"' && s[al + 1] != '\''))
                        return 0;
                    const char *q = strchr(s + al + 2, s[al + 1]);
                    if (!q || memchr(s + al + 2, '<', (size_t)(q - s - al - 2)))
                        return 0;
                    s = q + 1;
                }
                if (*s == '>') {
                    if (depth == 64)
                        return 0;
                    stack[depth] = n;
                    len[depth++] = l;
                    s++;
                } else {
                    s += 2;
                }
            }
        } else if (*s == '&') {
            static const char *const ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
            size_t k = 0;
            while (k < 5 && strncmp(s, ents[k], strlen(ents[k])))
                k++;
            if (k == 5)
                return 0;
            s += strlen(ents[k]);
        } else {
            if (!depth && roots && !strchr(" \t\r\n", *s))
                return 0; /* text after the root */
            s++;
        }
    }
    return depth == 0 && roots == 1;
}

/* Also asks xmllint, when it is installed. */
static int test_xmllint_ok(void)
{
    if (system("command -v xmllint >/dev/null 2>&1") != 0)
        return 1;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "xmllint --noout '%s'", test_out);
    return system(cmd) == 0;
}

/* ---- cases ------------------------------------------------------------ */

static void test_widths(void)
{
    CASE_BEGIN();
    char *svg = test_render("a;b 30\na;c 10\nd 60\n", "ergs");
    EXPECT(svg, "render failed");
    if (svg) {
        EXPECT(test_near(test_width(svg, "all"), TEST_SPAN), "all width %g",
               test_width(svg, "all"));
        EXPECT(test_near(test_width(svg, "a"), TEST_SPAN * 0.4), "a width %g", test_width(svg, "a"));
        EXPECT(test_near(test_width(svg, "b"), TEST_SPAN * 0.3), "b width %g", test_width(svg, "b"));
        EXPECT(test_near(test_width(svg, "c"), TEST_SPAN * 0.1), "c width %g", test_width(svg, "c"));
        EXPECT(test_near(test_width(svg, "d"), TEST_SPAN * 0.6), "d width %g", test_width(svg, "d"));
        /* Proportions between siblings, independent of the margins. */
        EXPECT(test_near(test_width(svg, "b") / test_width(svg, "c"), 3.0), "b:c not 3:1");
        /* Children start at their parent's left edge, alphabetically. */
        EXPECT(test_near(test_x(svg, "all"), 10) && test_near(test_x(svg, "a"), 10) &&
                   test_near(test_x(svg, "b"), 10),
               "a and b do not start at the left margin");
        EXPECT(test_near(test_x(svg, "c"), 10 + TEST_SPAN * 0.3), "c at %g", test_x(svg, "c"));
        EXPECT(test_near(test_x(svg, "d"), 10 + TEST_SPAN * 0.4), "d at %g", test_x(svg, "d"));
        /* Root at the bottom: deeper frames sit higher (smaller y). */
        double ya = test_rect_attr(test_frame(svg, "all", 0), "y");
        double yb = test_rect_attr(test_frame(svg, "a", 0), "y");
        double yc = test_rect_attr(test_frame(svg, "b", 0), "y");
        EXPECT(ya - yb == 16 && yb - yc == 16, "rows not 16 px apart: %g %g %g", ya, yb, yc);
        char t[128];
        test_element(test_frame(svg, "b", 0), "<title", "</title>", t, sizeof t);
        EXPECT(!strcmp(t, "b (30 ergs, 30.00%)"), "b title '%s'", t);
        EXPECT(test_well_formed(svg) && test_xmllint_ok(), "not well-formed");
        EXPECT(strstr(svg, "<script") && strstr(svg, "Reset Zoom") && strstr(svg, "Search"),
               "interactive parts missing");
    }
    free(svg);
    CASE_END("widths are proportional to weights");
}

static void test_alphabetical(void)
{
    CASE_BEGIN();
    char *svg = test_render("zeta 1\nmid;y 1\nalpha 1\nmid;x 1\n", NULL);
    EXPECT(svg, "render failed");
    if (svg) {
        EXPECT(test_x(svg, "alpha") < test_x(svg, "mid") && test_x(svg, "mid") < test_x(svg, "zeta"),
               "roots' children not sorted");
        EXPECT(test_x(svg, "x") < test_x(svg, "y"), "mid's children not sorted");
        char t[128];
        test_element(test_frame(svg, "all", 0), "<title", "</title>", t, sizeof t);
        EXPECT(!strcmp(t, "all (4 samples, 100.00%)"), "default unit: '%s'", t);
    }
    free(svg);
    CASE_END("children are ordered alphabetically, whatever the input order");
}

static void test_merging(void)
{
    CASE_BEGIN();
    char *svg = test_render("main;f;g 1\n"
                            "main;k;g 5\n"
                            "main;f;h 2\n"
                            "main;f;g 3\n"
                            "main 4\n"
                            "main;f;g 2\n",
                            "instructions");
    EXPECT(svg, "render failed");
    if (svg) {
        EXPECT(test_count_frames(svg, "main") == 1, "%d main frames", test_count_frames(svg, "main"));
        EXPECT(test_count_frames(svg, "f") == 1, "%d f frames", test_count_frames(svg, "f"));
        /* Same name, different parents: two separate frames. */
        EXPECT(test_count_frames(svg, "g") == 2, "%d g frames", test_count_frames(svg, "g"));
        EXPECT(test_count(svg, "<g class=\"f\">") == 7, "%d frames in all",
               test_count(svg, "<g class=\"f\">"));
        char t[128];
        test_element(test_frame(svg, "f", 0), "<title", "</title>", t, sizeof t);
        EXPECT(!strcmp(t, "f (8 instructions, 47.06%)"), "f title '%s'", t);
        /* whichever order the two g frames are written in */
        char t2[128];
        test_element(test_frame(svg, "g", 0), "<title", "</title>", t, sizeof t);
        test_element(test_frame(svg, "g", 1), "<title", "</title>", t2, sizeof t2);
        EXPECT((!strcmp(t, "g (6 instructions, 35.29%)") &&
                !strcmp(t2, "g (5 instructions, 29.41%)")) ||
                   (!strcmp(t2, "g (6 instructions, 35.29%)") &&
                    !strcmp(t, "g (5 instructions, 29.41%)")),
               "g titles '%s', '%s'", t, t2);
        test_element(test_frame(svg, "main", 0), "<title", "</title>", t, sizeof t);
        EXPECT(!strcmp(t, "main (17 instructions, 100.00%)"), "main title '%s'", t);
        EXPECT(test_near(test_width(svg, "main"), TEST_SPAN), "main width %g",
               test_width(svg, "main"));
        /* main's own weight (4) is the empty part right of its children. */
        double right = test_x(svg, "k") + test_width(svg, "k");
        EXPECT(test_near(right, 10 + TEST_SPAN * 13 / 17), "k ends at %g", right);
    }
    free(svg);
    CASE_END("shared prefixes merge into one frame");
}

static void test_spaces_and_line_ends(void)
{
    CASE_BEGIN();
    char *svg = test_render("operator new(unsigned long);do it  7\r\n\n   \n"
                            "operator new(unsigned long);do it 3\t\n",
                            "ergs");
    EXPECT(svg, "render failed");
    if (svg) {
        char t[128];
        test_element(test_frame(svg, "do it", 0), "<title", "</title>", t, sizeof t);
        EXPECT(!strcmp(t, "do it (10 ergs, 100.00%)"), "title '%s'", t);
        EXPECT(test_count_frames(svg, "operator new(unsigned long)") == 1, "frame with spaces");
    }
    free(svg);
    CASE_END("frames may contain spaces; CRLF and blank lines are fine");
}

static void test_escaping(void)
{
    CASE_BEGIN();
    int rc;
    const char in[] = "a<b;x&y 2\nsay \"hi\";it's>ok 1\nbad\xff\x01utf8 1\n";
    char *svg = test_render_ex(in, sizeof in - 1, "<T&\">", "u&u", 0, &rc);
    EXPECT(svg, "render failed");
    if (svg) {
        EXPECT(test_count_frames(svg, "a&lt;b") == 1, "a<b not escaped");
        EXPECT(test_count_frames(svg, "x&amp;y") == 1, "x&y not escaped");
        EXPECT(test_count_frames(svg, "say &quot;hi&quot;") == 1, "\"hi\" not escaped");
        EXPECT(test_count_frames(svg, "it&apos;s&gt;ok") == 1, "it's>ok not escaped");
        EXPECT(!strstr(svg, "a<b") && !strstr(svg, "x&y") && !strstr(svg, "\"hi\""),
               "raw special characters in the output");
        EXPECT(strstr(svg, "&lt;T&amp;&quot;&gt;</text>"), "title not escaped");
        EXPECT(strstr(svg, "(2 u&amp;u, 50.00%)"), "unit not escaped");
        /* Invalid UTF-8 and control bytes become U+FFFD. */
        EXPECT(test_count_frames(svg, "bad\xef\xbf\xbd\xef\xbf\xbdutf8") == 1,
               "bad bytes not replaced");
        EXPECT(test_well_formed(svg), "not well-formed (own check)");
        EXPECT(test_xmllint_ok(), "xmllint rejects it");
    }
    free(svg);
    CASE_END("XML special characters in names and titles are escaped");
}

static void test_malformed(void)
{
    static const char *const bad[] = {
        "a;b\n",                       /* no weight */
        "a;b x\n",                     /* not a number */
        "a;b -3\n",                    /* signed */
        "a;b 1.5\n",                   /* fractional */
        "a;b 0x10\n",                  /* hex */
        "   7\n",                      /* no stack */
        "a 99999999999999999999\n",    /* over 2^64 */
        "a 18446744073709551615\nb 1\n", /* sum over 2^64 */
        "good 1\nbad line\ngood 2\n",  /* later line */
    };
    CASE_BEGIN();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc;
        char *svg = test_render_ex(bad[i], strlen(bad[i]), "t", "u", 1, &rc);
        EXPECT(rc == -1, "input %zu accepted (rc %d)", i, rc);
        EXPECT(access(test_out, F_OK) != 0, "input %zu left an output file", i);
        free(svg);
    }
    CASE_END("malformed input is rejected without writing an SVG");
}

static void test_missing_file(void)
{
    CASE_BEGIN();
    fflush(stderr);
    int saved = dup(2);
    FILE *null = fopen("/dev/null", "w");
    if (null) {
        dup2(fileno(null), 2);
        fclose(null);
    }
    int rc = flamesvg_render("/nonexistent/x.folded", test_out, "t", "u");
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    EXPECT(rc == -1, "missing input file gave %d", rc);
    CASE_END("a missing input file is an error");
}

static void test_empty(void)
{
    CASE_BEGIN();
    static const char *const empties[] = {"", "\n\n  \n\t\n"};
    for (int k = 0; k < 2; k++) {
        char *svg = test_render(empties[k], "ergs");
        EXPECT(svg, "empty input %d failed", k);
        if (!svg)
            continue;
        EXPECT(test_count(svg, "<g class=\"f\">") == 1, "%d frames",
               test_count(svg, "<g class=\"f\">"));
        EXPECT(test_count_frames(svg, "all") == 1, "no 'all'");
        EXPECT(test_near(test_width(svg, "all"), TEST_SPAN), "all width %g",
               test_width(svg, "all"));
        char t[128];
        test_element(test_frame(svg, "all", 0), "<title", "</title>", t, sizeof t);
        EXPECT(!strcmp(t, "all (0 ergs, 100.00%)"), "title '%s'", t);
        EXPECT(test_well_formed(svg) && test_xmllint_ok(), "not well-formed");
        free(svg);
    }
    CASE_END("empty input gives a valid SVG with just 'all'");
}

static void test_deep(void)
{
    enum { DEPTH = 5000 };
    CASE_BEGIN();
    size_t cap = 2 * (DEPTH * 8 + 16), n = 0; /* "f4999;" is 6 bytes */
    char *in = malloc(cap);
    for (int rep = 0; rep < 2 && in; rep++) {
        for (int i = 0; i < DEPTH; i++)
            n += (size_t)snprintf(in + n, cap - n, "%sf%d", i ? ";" : "", i);
        n += (size_t)snprintf(in + n, cap - n, " %d\n", rep + 1);
    }
    int rc;
    char *svg = test_render_ex(in, n, "deep", "samples", 0, &rc);
    EXPECT(svg, "render failed (%d)", rc);
    if (svg) {
        EXPECT(test_count(svg, "<g class=\"f\">") == DEPTH + 1, "%d frames",
               test_count(svg, "<g class=\"f\">"));
        char t[128];
        test_element(test_frame(svg, "f4999", 0), "<title", "</title>", t, sizeof t);
        EXPECT(!strcmp(t, "f4999 (3 samples, 100.00%)"), "leaf title '%s'", t);
        double y0 = test_rect_attr(test_frame(svg, "all", 0), "y");
        double y1 = test_rect_attr(test_frame(svg, "f4999", 0), "y");
        EXPECT(y0 - y1 == DEPTH * 16.0, "leaf %g px above root", y0 - y1);
        EXPECT(test_well_formed(svg) && test_xmllint_ok(), "not well-formed");
    }
    free(svg);
    free(in);
    CASE_END("a 5000-deep stack renders");
}

static void test_big_weights(void)
{
    CASE_BEGIN();
    char *svg = test_render("a 4294967296\nb 4294967296\nb;c 4294967295\n", "ergs");
    EXPECT(svg, "render failed");
    if (svg) {
        char t[128];
        test_element(test_frame(svg, "all", 0), "<title", "</title>", t, sizeof t);
        EXPECT(!strcmp(t, "all (12,884,901,887 ergs, 100.00%)"), "all title '%s'", t);
        test_element(test_frame(svg, "b", 0), "<title", "</title>", t, sizeof t);
        EXPECT(!strcmp(t, "b (8,589,934,591 ergs, 66.67%)"), "b title '%s'", t);
        double total = 12884901887.0;
        EXPECT(test_near(test_width(svg, "a"), TEST_SPAN * 4294967296.0 / total), "a width %g",
               test_width(svg, "a"));
        EXPECT(test_near(test_width(svg, "c"), TEST_SPAN * 4294967295.0 / total), "c width %g",
               test_width(svg, "c"));
    }
    free(svg);
    CASE_END("weights summing above 2^32 work");
}

static void test_tiny_and_clipping(void)
{
    CASE_BEGIN();
    char *svg = test_render("big 99800\nedge 100\nsliver 99\n"
                            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa;x 1\n",
                            NULL);
    EXPECT(svg, "render failed");
    if (svg) {
        /* total 100000: 0.1% is 100 */
        EXPECT(test_count_frames(svg, "edge") == 1, "the 0.1%% frame is missing");
        EXPECT(test_count_frames(svg, "sliver") == 0, "a frame under 0.1%% was drawn");
        char t[256];
        test_element(test_frame(svg, "big", 0), "<text", "</text>", t, sizeof t);
        EXPECT(!strcmp(t, "big"), "big's label '%s'", t);
        /* edge is 1.18 px wide: no room for any text */
        test_element(test_frame(svg, "edge", 0), "<text", "</text>", t, sizeof t);
        EXPECT(t[0] == '\0', "edge's label '%s'", t);
    }
    free(svg);
    svg = test_render("a_rather_long_function_name_that_cannot_fit 5\nother 95\n", NULL);
    EXPECT(svg, "render failed");
    if (svg) {
        /* 59 px at ~7.1 px per character: 7 characters, the last an ellipsis */
        char t[256];
        test_element(test_frame(svg, "a_rather_long_function_name_that_cannot_fit", 0), "<text",
                     "</text>", t, sizeof t);
        EXPECT(!strcmp(t, "a_rathe\xe2\x80\xa6") || !strcmp(t, "a_rath\xe2\x80\xa6"),
               "clipped label '%s'", t);
    }
    free(svg);
    CASE_END("frames under 0.1%% are omitted and labels are clipped with an ellipsis");
}

/* Not a benchmark, only a guard against accidentally quadratic code:
 * 100k lines of mixed-depth stacks must come nowhere near a second. */
static void test_many_lines(void)
{
    enum { LINES = 100000 };
    CASE_BEGIN();
    size_t cap = (size_t)LINES * 96, n = 0;
    char *in = malloc(cap);
    uint64_t x = 12345, sum = 0;
    for (int i = 0; i < LINES; i++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        int depth = 3 + (int)((x >> 33) % 8);
        for (int d = 0; d < depth; d++)
            n += (size_t)snprintf(in + n, cap - n, "%sfn%u", d ? ";" : "",
                                  (unsigned)((x >> (4 * d)) % 7));
        unsigned w = 1 + (unsigned)((x >> 40) % 100);
        sum += w;
        n += (size_t)snprintf(in + n, cap - n, " %u\n", w);
    }
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    int rc;
    char *svg = test_render_ex(in, n, "many", "ergs", 0, &rc);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("  # 100k lines rendered in %.3f s\n", secs);
    EXPECT(svg, "render failed");
    if (svg) {
        char want[64], t[128];
        snprintf(want, sizeof want, "all (%llu ergs, 100.00%%)", (unsigned long long)sum);
        test_element(test_frame(svg, "all", 0), "<title", "</title>", t, sizeof t);
        /* the number is grouped by thousands; compare without the commas */
        char plain[128];
        size_t k = 0;
        for (const char *p = t; *p && k + 1 < sizeof plain; p++)
            if (*p != ',' || p[1] == ' ')
                plain[k++] = *p;
        plain[k] = '\0';
        EXPECT(!strcmp(plain, want), "'%s' != '%s'", plain, want);
        EXPECT(test_well_formed(svg), "not well-formed");
    }
    EXPECT(secs < 2.0, "took %.2f s", secs);
    free(svg);
    free(in);
    CASE_END("100k lines render quickly");
}

int main(void)
{
    if (!mkdtemp(test_dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(test_in, sizeof test_in, "%s/in.folded", test_dir);
    snprintf(test_out, sizeof test_out, "%s/out.svg", test_dir);

    test_widths();
    test_alphabetical();
    test_merging();
    test_spaces_and_line_ends();
    test_escaping();
    test_malformed();
    test_missing_file();
    test_empty();
    test_deep();
    test_big_weights();
    test_tiny_and_clipping();
    test_many_lines();

    remove(test_in);
    remove(test_out);
    rmdir(test_dir);
    return check_exit();
}
