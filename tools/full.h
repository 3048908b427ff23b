/* tools/full.h — the full-tier commands of `eravm`: deploy, batch, replay. */
#ifndef ERAVM_TOOLS_FULL_H
#define ERAVM_TOOLS_FULL_H

int tool_deploy(int argc, char **argv);
int tool_batch(int argc, char **argv);
int tool_replay(int argc, char **argv);

#endif
