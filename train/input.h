/* cmt-train's input side: reading labelled rows with per-line reports,
 * checked option values, and the command line as recorded in the model
 * card (malloc'd; the caller frees it).  These print and exit on error,
 * like the rest of cmd/. */
#ifndef CMT_TRAIN_INPUT_H
#define CMT_TRAIN_INPUT_H

#include "cmt_train.h"

void read_rows(const char *name, int csv, struct cmt_dataset *d);
double num_arg(const char *s, double lo, double hi, const char *opt);
int parse_widths(const char *s, int *w);
void parse_exclude(const char *s, struct cmt_dataset *d);
void parse_nullable(const char *s, struct cmt_dataset *d);
char *join_args(int argc, char **argv);

#endif
