/* tools/run.h — the `eravm run` and `eravm scenario` commands. */
#ifndef ERAVM_TOOLS_RUN_H
#define ERAVM_TOOLS_RUN_H

#include <jansson.h>
#include <stdio.h>

#include "eravm.h"

int tool_run(int argc, char **argv);
/* The JSON object `eravm run --format json` prints for a finished run:
 * written to f as it goes, or as a json_t. */
void tool_result_json_write(FILE *f, const eravm_vm *vm, const eravm_result *res);
json_t *tool_result_json(const eravm_vm *vm, const eravm_result *res);
int tool_scenario(int argc, char **argv);

#endif
