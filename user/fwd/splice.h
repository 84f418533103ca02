/* SPDX-License-Identifier: MIT */
#ifndef SG_FWD_SPLICE_H
#define SG_FWD_SPLICE_H

#include "fwd/fwd.h"

/* splice(2) through a pipe a direction. */
extern const struct fwd_ops fwd_splice_ops;

#endif
