/* SPDX-License-Identifier: MIT */
#ifndef SG_FWD_COPY_H
#define SG_FWD_COPY_H

#include <stdint.h>

#include "fwd/fwd.h"

/* read/write through a --buffer-sized buffer a direction: the last
 * resort, and in mode auto the first stage of every session. */
extern const struct fwd_ops fwd_copy_ops;

#endif
