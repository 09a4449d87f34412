/* SPDX-License-Identifier: MIT */
/* commands.h - the subcommands main.c dispatches to (cmd_*.c). */
#ifndef HC_COMMANDS_H
#define HC_COMMANDS_H

#include "cli.h"

int cmd_count(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_histo(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_model(int argc, char **argv);
int cmd_verify(int argc, char **argv);

#endif /* HC_COMMANDS_H */
