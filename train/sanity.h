/* cmt-train's checks of its rows before training (train/sanity.c):
 * note_row counts each decoded row's null features; check_rows refuses
 * rows that can only give a useless model (exit 2, naming the command
 * that makes good ones) and warns about doubtful ones. */
#ifndef CMT_TRAIN_SANITY_H
#define CMT_TRAIN_SANITY_H

#include <stdint.h>

#include "cmt_train.h"

void note_row(const struct cmt_fvec *v);
void check_rows(const struct cmt_dataset *d, int64_t horizon_ms);

#endif
