/* vm/bytecode.c — bytecode files in, container checks, versioned hashes out.
 * SHA-256 comes from OpenSSL's libcrypto, JSON artifacts are read with
 * jansson; neither is on the VM's hot path. */
#include "bytecode.h"

#include "asm.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <jansson.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int eravm_hex_decode(const char *s, size_t n, uint8_t **out, size_t *len, char *err, size_t errn)
{
    size_t i = 0;
    while (i < n && isspace((unsigned char)s[i]))
        i++;
    if (n - i >= 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X'))
        i += 2;
    uint8_t *buf = malloc((n - i) / 2 + 1);
    if (!buf) {
        snprintf(err, errn, "out of memory");
        return -1;
    }
    size_t k = 0;
    int hi = -1;
    for (; i < n; i++) {
        if (isspace((unsigned char)s[i]))
            continue;
        int v = hexval((unsigned char)s[i]);
        if (v < 0) {
            snprintf(err, errn, "bad hex: character '%c' at offset %zu", isprint((unsigned char)s[i]) ? s[i] : '?', i);
            free(buf);
            return -1;
        }
        if (hi < 0) {
            hi = v;
        } else {
            buf[k++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0) {
        snprintf(err, errn, "bad hex: odd number of digits");
        free(buf);
        return -1;
    }
    *out = buf;
    *len = k;
    return 0;
}

static bool looks_hex(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n && isspace(p[i]))
        i++;
    if (n - i >= 2 && p[i] == '0' && (p[i + 1] == 'x' || p[i + 1] == 'X'))
        return true; /* declared hex: errors in it are reported, not read as raw */
    size_t digits = 0;
    for (; i < n; i++) {
        if (isspace(p[i]))
            continue;
        if (hexval(p[i]) < 0)
            return false;
        digits++;
    }
    return digits > 0;
}

/* foundry: {"bytecode": {"object": "0x…"}}; hardhat/zksolc: {"bytecode": "0x…"} */
static int from_json(const char *path, json_t *root, uint8_t **out, size_t *len, char *err,
                     size_t errn)
{
    if (!json_is_object(root)) {
        snprintf(err, errn, "%s: top-level JSON is %s, not an artifact object with \"bytecode\"",
                 path, json_is_array(root) ? "an array" : json_is_string(root) ? "a string" : "not an object");
        return -1;
    }
    json_t *bc = json_object_get(root, "bytecode");
    if (json_is_object(bc))
        bc = json_object_get(bc, "object");
    if (!json_is_string(bc)) {
        snprintf(err, errn, "%s: JSON artifact has no \"bytecode\" string (or bytecode.object)",
                 path);
        return -1;
    }
    char sub[200];
    if (eravm_hex_decode(json_string_value(bc), json_string_length(bc), out, len, sub, sizeof sub)) {
        snprintf(err, errn, "%s: the artifact's bytecode: %s", path, sub);
        return -1;
    }
    if (*len == 0) {
        snprintf(err, errn, "%s: JSON artifact has an empty bytecode", path);
        free(*out);
        return -1;
    }
    return 0;
}

int eravm_read_file(const char *path, uint8_t **out, size_t *len, char *err, size_t errn)
{
    bool std_in = !strcmp(path, "-");
    FILE *f = std_in ? stdin : fopen(path, "rb");
    struct stat sb;
    if (!f || fstat(fileno(f), &sb) != 0 || (!std_in && !S_ISREG(sb.st_mode))) {
        snprintf(err, errn, "%s: %s", path, f ? "is a directory or not a regular file" : strerror(errno));
        if (f && !std_in)
            fclose(f);
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap + 1);
    while (buf) {
        if (n == cap) {
            if (cap > (256u << 20)) {
                snprintf(err, errn, "%s: file too large", path);
                free(buf);
                if (!std_in)
                    fclose(f);
                return -1;
            }
            uint8_t *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0)
            break;
    }
    bool rerr = ferror(f);
    if (!std_in)
        fclose(f);
    if (!buf || rerr) {
        snprintf(err, errn, "%s: %s", path, buf ? "read error" : "out of memory");
        free(buf);
        return -1;
    }
    buf[n] = 0; /* callers may treat text files as strings */
    *out = buf;
    *len = n;
    return 0;
}

int eravm_load_bytecode(const char *path, uint8_t **out, size_t *len, char *err, size_t errn)
{
    uint8_t *buf;
    size_t n;
    if (eravm_read_file(path, &buf, &n, err, errn) != 0)
        return -1;
    /* text written by editors that put a UTF-8 byte order mark first */
    size_t bom = n >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3) ? 3 : 0;
    const char *text = (const char *)buf + bom;
    size_t tn = n - bom, i = 0;
    while (i < tn && isspace((unsigned char)text[i]))
        i++;
    int rc;
    /* '{' is always an artifact; '[' or '"' only if the whole file is JSON
     * (raw bytecode may start with those bytes), which is then refused */
    json_t *root = NULL;
    json_error_t je;
    if (i < tn && text[i] == '{') {
        root = json_loadb(text, tn, 0, &je);
        if (!root) {
            snprintf(err, errn, "%s:%d:%d: bad JSON: %s", path, je.line, je.column, je.text);
            free(buf);
            return -1;
        }
    } else if (i < tn && (text[i] == '[' || text[i] == '"')) {
        root = json_loadb(text, tn, JSON_DECODE_ANY, &je);
    }
    if (root) {
        rc = from_json(path, root, out, len, err, errn);
        json_decref(root);
        free(buf);
        return rc;
    }
    if (looks_hex((const uint8_t *)text, tn)) {
        char sub[200];
        rc = eravm_hex_decode(text, tn, out, len, sub, sizeof sub);
        if (rc != 0)
            snprintf(err, errn, "%s: %s", path, sub);
        free(buf);
        return rc;
    }
    *out = buf;
    *len = n;
    return 0;
}

int eravm_check_container(size_t *len, int truncate, char *err, size_t errn)
{
    size_t words = *len / 32;
    if (truncate) {
        if (words % 2 == 0 && words > 0)
            words--;
        if (words == 0) {
            snprintf(err, errn, "bytecode of %zu bytes has no whole odd number of 32-byte words",
                     *len);
            return -1;
        }
        *len = words * 32;
    } else {
        if (*len == 0) {
            snprintf(err, errn, "empty bytecode");
            return -1;
        }
        if (*len < 32) {
            snprintf(err, errn, "bytecode of %zu bytes is shorter than one 32-byte word", *len);
            return -1;
        }
        if (*len % 32 != 0) {
            size_t keep = words % 2 ? words : words - 1;
            snprintf(err, errn,
                     "bytecode length %zu is not a multiple of 32 bytes (use --truncate to cut "
                     "it to %zu word%s)",
                     *len, keep, keep == 1 ? "" : "s");
            return -1;
        }
        if (words % 2 == 0) {
            snprintf(err, errn,
                     "bytecode has an even number of 32-byte words (%zu); a versioned hash needs "
                     "an odd count (use --truncate)",
                     words);
            return -1;
        }
    }
    if (words > ERAVM_MAX_CODE_WORDS) {
        snprintf(err, errn, "bytecode of %zu words exceeds the limit of %u words", words,
                 ERAVM_MAX_CODE_WORDS);
        return -1;
    }
    return 0;
}

void eravm_versioned_hash(const uint8_t *code, size_t len, uint8_t out[32])
{
    uint8_t h[SHA256_DIGEST_LENGTH];
    SHA256(code, len, h);
    size_t words = len / 32;
    memcpy(out, h, 32);
    out[0] = 1;
    out[1] = 0;
    out[2] = (uint8_t)(words >> 8);
    out[3] = (uint8_t)words;
}

int eravm_load_code_or_source(const char *path, uint8_t **out, size_t *len, char *err, size_t errn)
{
    size_t pl = strlen(path);
    if (pl <= 5 || strcmp(path + pl - 5, ".zasm"))
        return eravm_load_bytecode(path, out, len, err, errn);
    uint8_t *src;
    size_t n;
    if (eravm_read_file(path, &src, &n, err, errn) != 0)
        return -1;
    eravm_asm_result r;
    int rc = eravm_asm((const char *)src, n, path, &r, err, errn);
    free(src);
    if (rc != 0)
        return -1;
    *out = r.code;
    *len = r.len;
    r.code = NULL;
    eravm_asm_free(&r);
    return 0;
}
