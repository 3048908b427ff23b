/* tests/fuzz/driver.c — replays fuzz inputs (files given as arguments)
 * through the fuzz target in an ordinary build, so saved crashers and the
 * seed corpus run in `make test` without libFuzzer. */
#include <stdio.h>
#include <stdlib.h>

#include "bytecode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    int n = 0;
    for (int i = 1; i < argc; i++) {
        uint8_t *buf;
        size_t len;
        char err[256];
        if (eravm_read_file(argv[i], &buf, &len, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        LLVMFuzzerTestOneInput(buf, len);
        free(buf);
        n++;
    }
    printf("ok fuzz regression: %d saved inputs replay without a crash\n", n);
    return 0;
}
