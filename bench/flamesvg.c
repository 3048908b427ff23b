/* bench/flamesvg.c — renders folded stacks as a standalone flamegraph SVG:
 * identical stack prefixes merge into one tree, every node becomes a box
 * as wide as its weight (children alphabetical, root "all" at the bottom),
 * and a small embedded script adds click-to-zoom and regex search.
 * "-" as either path means stdin / stdout. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flamesvg.h"

#define FLAMESVG_WIDTH 1200
#define FLAMESVG_PAD 10    /* left/right margin */
#define FLAMESVG_ROW 16    /* one stack level; boxes are a pixel lower to leave a gap */
#define FLAMESVG_TOP 36    /* title and buttons */
#define FLAMESVG_BOTTOM 26 /* hover details and search result */
#define FLAMESVG_FONT 12
/* Average glyph width of Verdana relative to its size: text is clipped by
 * estimate because a static SVG cannot measure itself (the script could,
 * but the picture must also look right with scripting off). */
#define FLAMESVG_CHAR_W (FLAMESVG_FONT * 0.59)
/* Frames below this fraction of the total are left out: they would be
 * sub-pixel slivers and dominate the size of big profiles. */
#define FLAMESVG_MIN_FRACTION 0.001

/* How it works, and why not a tree with a hash lookup per frame: that is a
 * cache miss per frame and per node, and a profile with a million distinct
 * prefixes needs a million nodes. Instead identical lines are merged (one
 * lookup per line), the distinct stacks are sorted, and one pass over them
 * opens and closes frames like a depth-first walk, so each subtree is
 * complete, and its weight known, the moment it closes; subtrees too thin to
 * draw are dropped right then. Memory is the distinct stacks plus the drawn
 * frames, and nothing recurses, however deep the stacks. */

/* One distinct stack. Inside it frames are separated by NUL instead of ';'
 * (lines holding NUL are rejected), because then plain memcmp order, with a
 * proper prefix first, is exactly frame-by-frame order: "a" < "a;b" <
 * "a!;c" — a byte order on whole lines would put "a!..." between "a" and
 * "a;...", splitting frame "a" in two. */
typedef struct {
    size_t off; /* into the stack arena while reading; see flamesvg_stack */
    size_t len;
    uint64_t weight;
} flamesvg_entry;

typedef struct {
    const char *s;
    size_t len;
    uint64_t weight;
} flamesvg_stack;

typedef struct {
    char *arena;
    size_t arena_len, arena_cap;
    flamesvg_entry *entries;
    size_t count, cap;
    /* Open addressing over the stacks: high half = the hash's top 32 bits,
     * low half = entry index + 1 (0 = empty). Probing and rehashing compare
     * the stored bits and only touch an entry on a likely match. */
    uint64_t *table;
    size_t mask;
    uint64_t total;
} flamesvg_input;

/* A drawn frame (or one still open during the merge pass). */
typedef struct {
    const char *name;
    size_t len;
    uint64_t weight; /* own weight, then its closed children's added in */
    uint64_t offset; /* weight of everything left of it */
    uint64_t cursor; /* where its next child starts */
    uint32_t depth;
} flamesvg_node;

typedef struct {
    flamesvg_node *v;
    size_t n, cap;
} flamesvg_nodes;

static int flamesvg_oom(void)
{
    fprintf(stderr, "flamesvg: out of memory\n");
    return -1;
}

/* p (holding *cap elements of size sz) grown to hold at least need: the
 * possibly moved block, or NULL (p untouched) when memory ran out. */
static void *flamesvg_grow(void *p, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap)
        return p;
    size_t c = *cap ? *cap : 64;
    while (c < need) {
        if (c > SIZE_MAX / 2 / sz) {
            flamesvg_oom();
            return NULL;
        }
        c *= 2;
    }
    void *q = realloc(p, c * sz);
    if (!q) {
        flamesvg_oom();
        return NULL;
    }
    *cap = c;
    return q;
}

/* Word-at-a-time multiply/xorshift hash: lines run to kilobytes and every
 * one is hashed, so byte-wise FNV would be the slowest part of reading. */
static uint64_t flamesvg_hash(const char *s, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15u ^ (n * 0xff51afd7ed558ccdu);
    for (; n >= 8; s += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdu;
        h ^= h >> 32;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53u;
    h ^= h >> 29;
    h *= 0x94d049bb133111ebu;
    return h ^ (h >> 32);
}

/* ---- reading ------------------------------------------------------------ */

static int flamesvg_table_grow(flamesvg_input *in)
{
    size_t size = in->table ? (in->mask + 1) * 2 : 4096;
    if (size > ((size_t)1 << 32)) /* the slot comes from 32 stored bits */
        return flamesvg_oom();
    uint64_t *table = calloc(size, sizeof *table);
    if (!table)
        return flamesvg_oom();
    for (size_t k = 0; in->table && k <= in->mask; k++) {
        uint64_t e = in->table[k];
        if (!e)
            continue;
        size_t s = (size_t)(e >> 32) & (size - 1);
        while (table[s])
            s = (s + 1) & (size - 1);
        table[s] = e;
    }
    free(in->table);
    in->table = table;
    in->mask = size - 1;
    return 0;
}

/* Adds w to the stack s[0..n) (frames NUL-separated), storing it if new. */
static int flamesvg_add(flamesvg_input *in, const char *s, size_t n, uint64_t w)
{
    uint32_t tag = (uint32_t)(flamesvg_hash(s, n) >> 32);
    size_t slot = tag & in->mask;
    for (;; slot = (slot + 1) & in->mask) {
        uint64_t e = in->table[slot];
        if (!e)
            break;
        if ((uint32_t)(e >> 32) != tag)
            continue;
        flamesvg_entry *x = &in->entries[(uint32_t)e - 1];
        if (x->len == n && !memcmp(in->arena + x->off, s, n)) {
            x->weight += w;
            return 0;
        }
    }
    if (in->count >= UINT32_MAX - 1) {
        fprintf(stderr, "flamesvg: too many distinct stacks\n");
        return -1;
    }
    flamesvg_entry *entries = flamesvg_grow(in->entries, &in->cap, in->count + 1, sizeof *entries);
    if (!entries)
        return -1;
    in->entries = entries;
    char *arena = flamesvg_grow(in->arena, &in->arena_cap, in->arena_len + n + 1, 1);
    if (!arena)
        return -1;
    in->arena = arena;
    memcpy(in->arena + in->arena_len, s, n);
    in->entries[in->count] = (flamesvg_entry){in->arena_len, n, w};
    in->arena_len += n;
    in->table[slot] = (uint64_t)tag << 32 | (in->count + 1);
    in->count++;
    /* Keep the load under one half so probe runs stay short. */
    if (in->count * 2 > in->mask + 1)
        return flamesvg_table_grow(in);
    return 0;
}

static int flamesvg_malformed(const char *path, unsigned long lineno, const char *why)
{
    fprintf(stderr, "flamesvg: %s:%lu: %s (expected 'frame;frame;... WEIGHT')\n",
            strcmp(path, "-") ? path : "<stdin>", lineno, why);
    return -1;
}

/* Reads and checks every line, merging identical stacks. */
static int flamesvg_read(flamesvg_input *in, FILE *f, const char *path)
{
    char *line = NULL;
    size_t cap = 0;
    unsigned long lineno = 0;
    ssize_t got;
    int rc = -1;

    if (flamesvg_table_grow(in))
        return -1;
    while ((got = getline(&line, &cap, f)) >= 0) {
        size_t n = (size_t)got, lead = 0;
        lineno++;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
                     line[n - 1] == '\t'))
            n--;
        while (lead < n && (line[lead] == ' ' || line[lead] == '\t'))
            lead++;
        if (lead == n)
            continue; /* blank */
        size_t sp = n;
        while (sp > lead && line[sp - 1] != ' ' && line[sp - 1] != '\t')
            sp--;
        if (sp == lead) {
            flamesvg_malformed(path, lineno, "no weight");
            goto out;
        }
        uint64_t w = 0;
        for (size_t i = sp; i < n; i++) {
            unsigned d = (unsigned)(line[i] - '0');
            if (d > 9) {
                flamesvg_malformed(path, lineno, "weight is not an unsigned integer");
                goto out;
            }
            if (w > (UINT64_MAX - d) / 10) {
                flamesvg_malformed(path, lineno, "weight too large");
                goto out;
            }
            w = w * 10 + d;
        }
        size_t end = sp - 1; /* drop the separator and any padding before it */
        while (end > lead && (line[end - 1] == ' ' || line[end - 1] == '\t'))
            end--;
        if (end == lead) {
            flamesvg_malformed(path, lineno, "no stack before the weight");
            goto out;
        }
        if (memchr(line + lead, '\0', end - lead)) {
            flamesvg_malformed(path, lineno, "NUL byte in the stack");
            goto out;
        }
        if (w > UINT64_MAX - in->total) {
            flamesvg_malformed(path, lineno, "weights add up to more than 2^64-1");
            goto out;
        }
        in->total += w;
        for (char *p = line + lead; (p = memchr(p, ';', (size_t)(line + end - p))) != NULL;)
            *p++ = '\0';
        if (flamesvg_add(in, line + lead, end - lead, w))
            goto out;
    }
    if (ferror(f)) {
        fprintf(stderr, "flamesvg: reading %s: %s\n", path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    free(line);
    return rc;
}

/* ---- merging into frames ------------------------------------------------ */

static int flamesvg_stack_cmp(const void *a, const void *b)
{
    const flamesvg_stack *x = a, *y = b;
    int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
    if (c)
        return c;
    return (x->len > y->len) - (x->len < y->len);
}

static int flamesvg_visible(uint64_t weight, uint64_t total)
{
    return weight > 0 && (double)weight >= FLAMESVG_MIN_FRACTION * (double)total;
}

/* Closes the innermost open frame: its weight is final now, so its parent
 * learns it, and if it is too thin it goes, with its whole subtree, which
 * is exactly the nodes appended after it. */
static void flamesvg_close(flamesvg_nodes *nodes, const size_t *path, uint32_t depth,
                           uint64_t total)
{
    flamesvg_node *n = &nodes->v[path[depth]], *p = &nodes->v[path[depth - 1]];
    p->weight += n->weight;
    p->cursor += n->weight;
    if (!flamesvg_visible(n->weight, total))
        nodes->n = path[depth];
}

/* Turns the sorted distinct stacks into the list of frames to draw, in
 * pre-order (parents before children, siblings left to right); node 0 is
 * the root "all". */
static int flamesvg_merge(const flamesvg_stack *st, size_t count, uint64_t total,
                          flamesvg_nodes *nodes, uint32_t *maxdepth)
{
    size_t *path = NULL, path_cap = 0; /* path[d] = node open at depth d */
    uint32_t depth = 0, deepest = 0;
    int rc = -1;

    if (!(nodes->v = flamesvg_grow(NULL, &nodes->cap, 1, sizeof *nodes->v)) ||
        !(path = flamesvg_grow(NULL, &path_cap, 1, sizeof *path)))
        goto out;
    nodes->v[0] = (flamesvg_node){"all", 3, 0, 0, 0, 0};
    nodes->n = 1;
    path[0] = 0;
    for (size_t k = 0; k < count; k++) {
        const char *s = st[k].s;
        size_t len = st[k].len, start = 0;
        uint32_t common = 0;
        if (k) {
            /* Frames shared with the previous stack stay open: those that
             * end before the first difference, plus the previous stack's
             * last frame if this one continues it with a separator. */
            const char *p = st[k - 1].s;
            size_t plen = st[k - 1].len, lim = len < plen ? len : plen, i = 0;
            for (; i < lim && s[i] == p[i]; i++) {
                if (!s[i]) {
                    common++;
                    start = i + 1;
                }
            }
            if (i == plen && i < len && !s[i]) {
                common++;
                start = i + 1;
            }
        }
        while (depth > common)
            flamesvg_close(nodes, path, depth--, total);
        /* Sorted and distinct, so this stack is never a frame-prefix of the
         * previous one and at least one frame opens here. */
        for (;;) {
            const char *f = s + start, *e = memchr(f, '\0', len - start);
            size_t flen = e ? (size_t)(e - f) : len - start;
            if (depth + 1 == UINT32_MAX) {
                fprintf(stderr, "flamesvg: stack too deep\n");
                goto out;
            }
            flamesvg_node *v = flamesvg_grow(nodes->v, &nodes->cap, nodes->n + 1, sizeof *v);
            if (!v)
                goto out;
            nodes->v = v;
            size_t *pv = flamesvg_grow(path, &path_cap, (size_t)depth + 2, sizeof *pv);
            if (!pv)
                goto out;
            path = pv;
            uint64_t at = nodes->v[path[depth]].cursor;
            path[++depth] = nodes->n;
            nodes->v[nodes->n++] = (flamesvg_node){f, flen, 0, at, at, depth};
            if (!e)
                break;
            start += flen + 1;
        }
        nodes->v[path[depth]].weight += st[k].weight;
    }
    while (depth > 0)
        flamesvg_close(nodes, path, depth--, total);
    for (size_t i = 0; i < nodes->n; i++)
        if (nodes->v[i].depth > deepest)
            deepest = nodes->v[i].depth;
    *maxdepth = deepest;
    rc = 0;
out:
    free(path);
    return rc;
}

/* ---- SVG output --------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (1..4) that is also a legal XML
 * character, or 0 if the bytes there must be replaced. */
static size_t flamesvg_utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return (c >= 0x20 || c == '\t') ? 1 : 0;
    size_t len;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0; /* overlong or out of range */
    if ((cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
        return 0; /* surrogates and non-characters are not XML */
    return len;
}

static size_t flamesvg_chars(const char *s, size_t n)
{
    size_t chars = 0;
    for (size_t i = 0; i < n; chars++) {
        size_t l = flamesvg_utf8_len((const unsigned char *)s + i, n - i);
        i += l ? l : 1;
    }
    return chars;
}

/* Writes at most `max` characters of s, XML-escaped; bytes that are not
 * valid UTF-8 (or not allowed in XML) become U+FFFD so the file stays
 * well-formed whatever the symbol names hold. */
static void flamesvg_put_text(FILE *out, const char *s, size_t n, size_t max)
{
    size_t i = 0;
    for (size_t chars = 0; i < n && chars < max; chars++) {
        size_t l = flamesvg_utf8_len((const unsigned char *)s + i, n - i);
        if (!l) {
            fputs("\xef\xbf\xbd", out);
            i++;
            continue;
        }
        switch (s[i]) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&apos;", out); break;
        default: fwrite(s + i, 1, l, out); break;
        }
        i += l;
    }
}

static void flamesvg_put_str(FILE *out, const char *s)
{
    flamesvg_put_text(out, s, strlen(s), SIZE_MAX);
}

/* 1234567 -> "1,234,567": profiles run to billions of ergs. */
static void flamesvg_group(char out[32], uint64_t v)
{
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v), o = 0;
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
}

static const char flamesvg_style[] =
    "text{font-family:Verdana,sans-serif;font-size:12px;fill:#000}\n"
    "#title{font-size:17px}\n"
    ".btn{cursor:pointer;fill:#336}.btn:hover{text-decoration:underline}\n"
    "g.f{cursor:pointer}g.f text{pointer-events:none}\n"
    "g.f:hover rect{stroke:#000;stroke-width:.5}\n"
    "g.anc{opacity:.55}\n";

/* Frames are <g class="f"><title/><rect/><text/></g>; everything the script
 * needs (original box, name) is read back from those, so no per-frame data
 * attributes bloat the file. Ancestors are found geometrically: lower rows
 * whose span covers the clicked frame's span, give or take a rounding
 * slack (drawn frames are over a pixel wide, so the slack never lets a
 * neighbour pass for an ancestor). Zooming magnifies up to 1000x, hence the
 * four decimals on boxes, and the clamp to the drawing area. */
static const char flamesvg_script[] =
    "(function(){\"use strict\";\n"
    "var W=%d,P=%d,CW=%g,D=document,fr=[].slice.call(D.querySelectorAll(\"g.f\")),\n"
    "uz=D.getElementById(\"unzoom\"),sb=D.getElementById(\"search\"),\n"
    "mt=D.getElementById(\"matched\"),dt=D.getElementById(\"details\"),hit=null;\n"
    "fr.forEach(function(g){var r=g.querySelector(\"rect\"),"
    "t=g.querySelector(\"title\").textContent;\n"
    " g.r=r;g.tx=g.querySelector(\"text\");g.ti=t;g.n=t.slice(0,t.lastIndexOf(\" (\"));\n"
    " g.x0=+r.getAttribute(\"x\");g.w0=+r.getAttribute(\"width\");g.y0=+r.getAttribute(\"y\");"
    "g.c=r.getAttribute(\"fill\");});\n"
    "function put(g,x,w){g.style.display=\"\";g.r.setAttribute(\"x\",x.toFixed(2));"
    "g.r.setAttribute(\"width\",w.toFixed(2));\n"
    " var n=Math.floor((w-6)/CW),s=g.n;g.tx.setAttribute(\"x\",(x+3).toFixed(2));\n"
    " g.tx.textContent=n<3?\"\":s.length<=n?s:s.slice(0,n-1)+\"\\u2026\";}\n"
    "function reset(){uz.style.display=\"none\";"
    "fr.forEach(function(g){g.classList.remove(\"anc\");put(g,g.x0,g.w0);});}\n"
    "function zoom(f){var s=(W-2*P)/f.w0,e=0.02,a=f.x0,b=f.x0+f.w0;uz.style.display=\"\";\n"
    " fr.forEach(function(g){var gb=g.x0+g.w0;\n"
    "  if(g.y0>f.y0&&g.x0<=a+e&&gb>=b-e){g.classList.add(\"anc\");put(g,P,W-2*P);}\n"
    "  else if(g.y0<=f.y0&&g.x0>=a-e&&gb<=b+e){g.classList.remove(\"anc\");"
    "var l=Math.max(P,P+(g.x0-a)*s);put(g,l,Math.min(W-P,P+(gb-a)*s)-l);}\n"
    "  else g.style.display=\"none\";});}\n"
    "function unsearch(){hit=null;sb.textContent=\"Search\";mt.textContent=\"\";"
    "fr.forEach(function(g){g.r.setAttribute(\"fill\",g.c);});}\n"
    "function search(){var q=prompt(\"Search frames (regular expression):\",hit||\"\"),re,iv=[],"
    "sum=0,end=-1;\n"
    " if(!q)return;try{re=new RegExp(q);}catch(x){alert(x.message);return;}\n"
    " fr.forEach(function(g){var m=re.test(g.n);"
    "g.r.setAttribute(\"fill\",m?\"rgb(230,0,230)\":g.c);if(m)iv.push([g.x0,g.x0+g.w0]);});\n"
    " iv.sort(function(u,v){return u[0]-v[0];});\n"
    " iv.forEach(function(v){if(v[1]>end){sum+=v[1]-Math.max(v[0],end);end=v[1];}});\n"
    " hit=q;sb.textContent=\"Reset search\";\n"
    " mt.textContent=\"Matched: \"+(100*sum/(W-2*P)).toFixed(2)+\"%%\";}\n"
    "D.documentElement.addEventListener(\"click\",function(ev){var t=ev.target,"
    "g=t.closest?t.closest(\"g.f\"):null;\n"
    " if(t===uz)reset();else if(t===sb){if(hit)unsearch();else search();}\n"
    " else if(g){if(g===fr[0])reset();else zoom(g);}});\n"
    "D.documentElement.addEventListener(\"mouseover\",function(ev){"
    "var g=ev.target.closest?ev.target.closest(\"g.f\"):null;\n"
    " dt.textContent=g?g.ti:\"\";});\n"
    "D.addEventListener(\"keydown\",function(ev){if(ev.key===\"Escape\")reset();\n"
    " else if((ev.ctrlKey||ev.metaKey)&&ev.key===\"f\"){ev.preventDefault();search();}});\n"
    "})();\n";


/* Differential colour from the change a frame's label ends with, as
 * scripts/compare-commits writes it: " [+12.3%]" red, " [-4.0%]" blue,
 * deeper with the change (full at 50%), " [new]" dark red, none grey. */
static void flamesvg_diff_colour(const char *name, size_t len, int *r, int *g, int *b)
{
    *r = *g = *b = 210;
    const char *open = NULL;
    for (size_t i = len; i-- > 0;)
        if (name[i] == '[') {
            open = name + i;
            break;
        }
    if (!open || name[len - 1] != ']')
        return;
    if (!strncmp(open, "[new]", 5)) {
        *r = 190;
        *g = *b = 0;
        return;
    }
    char buf[32];
    size_t k = (size_t)(name + len - 1 - open - 1);
    if (k == 0 || k >= sizeof buf)
        return;
    memcpy(buf, open + 1, k);
    buf[k] = 0;
    char *end;
    double x = strtod(buf, &end);
    if (end == buf || *end != '%')
        return;
    double f = (x < 0 ? -x : x) / 50;
    f = f > 1 ? 1 : f;
    int pale = (int)(255 - 215 * f);
    if (x > 0) {
        *r = 255;
        *g = *b = pale;
    } else if (x < 0) {
        *b = 255;
        *r = *g = pale;
    } else {
        *r = *g = *b = 235;
    }
}

static void flamesvg_frame(FILE *out, const flamesvg_node *n, uint64_t total, double scale,
                           int base_y, const char *unit, bool diff)
{
    int root = n->depth == 0;
    double x = FLAMESVG_PAD + (double)n->offset * scale;
    double w = root ? FLAMESVG_WIDTH - 2 * FLAMESVG_PAD : (double)n->weight * scale;
    double y = base_y - (double)(n->depth + 1) * FLAMESVG_ROW;
    double pct = total ? 100.0 * (double)n->weight / (double)total : 100.0;
    /* flamegraph.pl's "hot" range: red high, green varying most, little
     * blue; seeded by the name so a function keeps its colour everywhere. */
    uint64_t h = flamesvg_hash(n->name, n->len);
    int r = 205 + (int)(50 * ((h >> 16) & 0xff) / 255);
    int g = (int)(230 * (h & 0xff) / 255);
    int b = (int)(55 * ((h >> 8) & 0xff) / 255);
    if (diff && !root)
        flamesvg_diff_colour(n->name, n->len, &r, &g, &b);
    char num[32];
    flamesvg_group(num, n->weight);

    fputs("<g class=\"f\"><title>", out);
    flamesvg_put_text(out, n->name, n->len, SIZE_MAX);
    fprintf(out, " (%s ", num);
    flamesvg_put_str(out, unit);
    fprintf(out,
            ", %.2f%%)</title><rect x=\"%.4f\" y=\"%.1f\" width=\"%.4f\" height=\"%d\" "
            "rx=\"2\" fill=\"rgb(%d,%d,%d)\"/><text x=\"%.2f\" y=\"%.1f\">",
            pct, x, y, w, FLAMESVG_ROW - 1, r, g, b, x + 3, y + 11.5);
    double fit = (w - 6) / FLAMESVG_CHAR_W;
    if (fit >= 3) {
        size_t max = (size_t)fit;
        if (flamesvg_chars(n->name, n->len) <= max) {
            flamesvg_put_text(out, n->name, n->len, SIZE_MAX);
        } else {
            flamesvg_put_text(out, n->name, n->len, max - 1);
            fputs("\xe2\x80\xa6", out); /* … */
        }
    }
    fputs("</text></g>\n", out);
}

static void flamesvg_write(FILE *out, const flamesvg_nodes *nodes, uint64_t total,
                           uint32_t maxdepth, const char *title, const char *unit, bool diff)
{
    int height = FLAMESVG_TOP + (int)(maxdepth + 1) * FLAMESVG_ROW + FLAMESVG_BOTTOM;
    int base_y = height - FLAMESVG_BOTTOM;
    double scale = total ? (double)(FLAMESVG_WIDTH - 2 * FLAMESVG_PAD) / (double)total : 0.0;

    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
            "height=\"%d\" viewBox=\"0 0 %d %d\">\n"
            "<defs><linearGradient id=\"bg\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"1\">"
            "<stop offset=\"5%%\" stop-color=\"#eeeeee\"/><stop offset=\"95%%\" "
            "stop-color=\"#eeeeb0\"/></linearGradient></defs>\n"
            "<style type=\"text/css\">\n%s</style>\n"
            "<rect x=\"0\" y=\"0\" width=\"100%%\" height=\"100%%\" fill=\"url(#bg)\"/>\n"
            "<text id=\"title\" x=\"%d\" y=\"24\" text-anchor=\"middle\">",
            FLAMESVG_WIDTH, height, FLAMESVG_WIDTH, height, flamesvg_style, FLAMESVG_WIDTH / 2);
    flamesvg_put_str(out, title);
    fprintf(out,
            "</text>\n"
            "<text id=\"unzoom\" class=\"btn\" x=\"%d\" y=\"24\" style=\"display:none\">"
            "Reset Zoom</text>\n"
            "<text id=\"search\" class=\"btn\" x=\"%d\" y=\"24\" text-anchor=\"end\">"
            "Search</text>\n"
            "<text id=\"details\" x=\"%d\" y=\"%d\"></text>\n"
            "<text id=\"matched\" x=\"%d\" y=\"%d\" text-anchor=\"end\"></text>\n"
            "<g id=\"frames\">\n",
            FLAMESVG_PAD, FLAMESVG_WIDTH - FLAMESVG_PAD, FLAMESVG_PAD, height - 8,
            FLAMESVG_WIDTH - FLAMESVG_PAD, height - 8);
    /* The root comes first; the script relies on that. */
    for (size_t k = 0; k < nodes->n; k++)
        flamesvg_frame(out, &nodes->v[k], total, scale, base_y, unit, diff);
    fputs("</g>\n<script type=\"text/ecmascript\"><![CDATA[\n", out);
    fprintf(out, flamesvg_script, FLAMESVG_WIDTH, FLAMESVG_PAD, FLAMESVG_CHAR_W);
    fputs("]]></script>\n</svg>\n", out);
}

/* ---- entry point -------------------------------------------------------- */

int flamesvg_render(const char *folded, const char *svg, const char *title, const char *unit)
{
    return flamesvg_render_diff(folded, svg, title, unit, false);
}

int flamesvg_render_diff(const char *folded, const char *svg, const char *title, const char *unit, bool diff)
{
    flamesvg_input in;
    flamesvg_nodes nodes = {NULL, 0, 0};
    flamesvg_stack *st = NULL;
    uint32_t maxdepth = 0;
    int rc = -1, to_stdout = !strcmp(svg, "-");
    FILE *f = strcmp(folded, "-") ? fopen(folded, "r") : stdin;
    FILE *out = NULL;

    if (!title)
        title = "Flame Graph";
    if (!unit)
        unit = "samples";
    memset(&in, 0, sizeof in);
    if (!f) {
        fprintf(stderr, "flamesvg: %s: %s\n", folded, strerror(errno));
        return -1;
    }
    if (flamesvg_read(&in, f, folded))
        goto out;
    free(in.table);
    in.table = NULL;
    /* The arena no longer moves: entries become pointers for sorting. */
    st = malloc((in.count ? in.count : 1) * sizeof *st);
    if (!st) {
        flamesvg_oom();
        goto out;
    }
    for (size_t i = 0; i < in.count; i++)
        st[i] = (flamesvg_stack){in.arena + in.entries[i].off, in.entries[i].len,
                                 in.entries[i].weight};
    free(in.entries);
    in.entries = NULL;
    qsort(st, in.count, sizeof *st, flamesvg_stack_cmp);
    if (flamesvg_merge(st, in.count, in.total, &nodes, &maxdepth))
        goto out;

    /* Only now open the output, so a bad input leaves no half-written file. */
    out = to_stdout ? stdout : fopen(svg, "w");
    if (!out) {
        fprintf(stderr, "flamesvg: %s: %s\n", svg, strerror(errno));
        goto out;
    }
    flamesvg_write(out, &nodes, in.total, maxdepth, title, unit, diff);
    if (to_stdout ? fflush(out) != 0 || ferror(out) : (ferror(out) | fclose(out)) != 0) {
        fprintf(stderr, "flamesvg: writing %s: %s\n", svg, strerror(errno));
        if (!to_stdout)
            remove(svg);
        goto out;
    }
    rc = 0;
out:
    if (f != stdin)
        fclose(f);
    free(st);
    free(nodes.v);
    free(in.arena);
    free(in.entries);
    free(in.table);
    return rc;
}
