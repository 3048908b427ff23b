/* tools/scenario.c — `eravm scenario`: multi-step scenarios (placeholder). */
#include "run.h"
#include "tool_util.h"

int tool_scenario(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return tool_die("scenario: not implemented yet%s", "");
}
