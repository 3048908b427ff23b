/* host/abi.c — Solidity ABI encoding of flat argument lists (see abi.h). */
#include "abi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keccak.h"

uint32_t abi_selector(const char *signature)
{
    uint8_t h[32];
    keccak256((const uint8_t *)signature, strlen(signature), h);
    return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

static size_t abi_pad32(size_t n)
{
    return (n + 31) / 32 * 32;
}

size_t abi_encoded_len(const abi_arg *args, size_t nargs)
{
    size_t n = 32 * nargs;
    for (size_t i = 0; i < nargs; i++) {
        if (args[i].kind == ABI_BYTES)
            n += 32 + abi_pad32(args[i].len);
        else if (args[i].kind == ABI_WORDS)
            n += 32 + 32 * args[i].len;
    }
    return n;
}

void abi_address_hex(u256 a, char out[43])
{
    uint8_t w[32];
    u256_to_be(a, w);
    out[0] = '0';
    out[1] = 'x';
    for (int i = 0; i < 20; i++)
        snprintf(out + 2 + 2 * i, 3, "%02x", w[12 + i]);
}

void abi_bytes_to_words(const uint8_t *p, size_t n, u256 *out)
{
    for (size_t i = 0; i < n / 32; i++)
        out[i] = u256_from_be(p + 32 * i);
}

/* ---- checking arguments against a signature ------------------------------ */

/* The widest value a static type admits, in bits (256 = any word); 0 when the
 * type is not a static elementary type this encoder knows. */
static unsigned abi_static_bits(const char *t, size_t n)
{
    char buf[16];
    if (n == 0 || n >= sizeof buf)
        return 0;
    memcpy(buf, t, n);
    buf[n] = 0;
    if (!strcmp(buf, "address"))
        return 160;
    if (!strcmp(buf, "bool"))
        return 1;
    if (!strcmp(buf, "uint") || !strcmp(buf, "int"))
        return 256;
    const char *digits = NULL;
    unsigned step = 0, limit = 0;
    if (!strncmp(buf, "uint", 4)) {
        digits = buf + 4, step = 8, limit = 256;
    } else if (!strncmp(buf, "int", 3)) {
        digits = buf + 3, step = 8, limit = 256;
    } else if (!strncmp(buf, "bytes", 5)) {
        digits = buf + 5, step = 1, limit = 32;
    }
    if (!digits || !*digits || strspn(digits, "0123456789") != strlen(digits) || digits[0] == '0')
        return 0;
    unsigned v = (unsigned)atoi(digits);
    if (v == 0 || v > limit || v % step)
        return 0;
    /* Signed ints are sign-extended and bytesN are left-aligned: both may
     * fill the whole word, so only uintN gets a width check. */
    return buf[0] == 'u' ? v : 256;
}

static int abi_fits(u256 w, unsigned bits)
{
    return bits >= 256 || u256_is_zero(u256_shr(w, bits));
}

static int abi_check_arg(const char *t, size_t n, const abi_arg *a, size_t idx, char *err,
                         size_t errn)
{
    if ((n == 5 && !strncmp(t, "bytes", 5)) || (n == 6 && !strncmp(t, "string", 6))) {
        if (a->kind != ABI_BYTES) {
            snprintf(err, errn, "argument %zu (%.*s) needs bytes", idx, (int)n, t);
            return -1;
        }
        return 0;
    }
    int array = n > 2 && t[n - 2] == '[' && t[n - 1] == ']';
    unsigned bits = abi_static_bits(t, array ? n - 2 : n);
    if (!bits) {
        snprintf(err, errn, "argument %zu: unsupported ABI type '%.*s'", idx, (int)n, t);
        return -1;
    }
    if (a->kind != (array ? ABI_WORDS : ABI_WORD)) {
        snprintf(err, errn, "argument %zu (%.*s) needs %s", idx, (int)n, t,
                 array ? "a word array" : "a single word");
        return -1;
    }
    size_t count = array ? a->len : 1;
    for (size_t k = 0; k < count; k++) {
        if (!abi_fits(array ? a->words[k] : a->word, bits)) {
            snprintf(err, errn, "argument %zu (%.*s) does not fit in %u bits", idx, (int)n, t,
                     bits);
            return -1;
        }
    }
    return 0;
}

/* Walks "name(t1,t2,...)" and checks each top-level type against its arg. */
static int abi_check_signature(const char *sig, const abi_arg *args, size_t nargs, char *err,
                               size_t errn)
{
    const char *open = strchr(sig, '(');
    size_t sl = strlen(sig);
    if (!open || open == sig || sl < 2 || sig[sl - 1] != ')' || strchr(open + 1, '(')) {
        snprintf(err, errn, "bad function signature '%s' (want name(type,...), no tuples)", sig);
        return -1;
    }
    const char *p = open + 1, *end = sig + sl - 1;
    size_t i = 0;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        if (i >= nargs) {
            snprintf(err, errn, "'%s' takes more than the %zu arguments given", sig, nargs);
            return -1;
        }
        if (abi_check_arg(p, (size_t)(stop - p), &args[i], i, err, errn))
            return -1;
        i++;
        p = comma ? comma + 1 : end;
        if (comma && p == end) {
            snprintf(err, errn, "bad function signature '%s' (trailing comma)", sig);
            return -1;
        }
    }
    if (i != nargs) {
        snprintf(err, errn, "'%s' takes %zu arguments, %zu given", sig, i, nargs);
        return -1;
    }
    return 0;
}

/* ---- encoding -------------------------------------------------------------- */

static void abi_put_word(uint8_t *p, u256 w)
{
    u256_to_be(w, p);
}

int abi_encode(const char *signature, const abi_arg *args, size_t nargs, uint8_t **out,
               size_t *len, char *err, size_t errn)
{
    *out = NULL;
    *len = 0;
    if (nargs && !args) {
        snprintf(err, errn, "abi_encode: no arguments given");
        return -1;
    }
    for (size_t i = 0; i < nargs; i++) {
        if ((args[i].kind == ABI_BYTES && args[i].len && !args[i].data) ||
            (args[i].kind == ABI_WORDS && args[i].len && !args[i].words) ||
            args[i].kind > ABI_WORDS) {
            snprintf(err, errn, "abi_encode: argument %zu has no data", i);
            return -1;
        }
    }
    if (signature && abi_check_signature(signature, args, nargs, err, errn))
        return -1;
    size_t sel = signature ? 4 : 0;
    size_t body = abi_encoded_len(args, nargs);
    uint8_t *buf = calloc(1, sel + body);
    if (!buf) {
        snprintf(err, errn, "out of memory encoding %zu ABI bytes", sel + body);
        return -1;
    }
    if (signature) {
        uint32_t s = abi_selector(signature);
        for (int k = 0; k < 4; k++)
            buf[k] = (uint8_t)(s >> (24 - 8 * k));
    }
    uint8_t *head = buf + sel;
    size_t tail = 32 * nargs; /* offsets count from the start of the head */
    for (size_t i = 0; i < nargs; i++) {
        const abi_arg *a = &args[i];
        if (a->kind == ABI_WORD) {
            abi_put_word(head + 32 * i, a->word);
            continue;
        }
        abi_put_word(head + 32 * i, u256_from_u64(tail));
        abi_put_word(head + tail, u256_from_u64(a->len));
        tail += 32;
        if (a->kind == ABI_BYTES) {
            if (a->len)
                memcpy(head + tail, a->data, a->len); /* padding stays zero from calloc */
            tail += abi_pad32(a->len);
        } else {
            for (size_t k = 0; k < a->len; k++, tail += 32)
                abi_put_word(head + tail, a->words[k]);
        }
    }
    *out = buf;
    *len = sel + body;
    return 0;
}
