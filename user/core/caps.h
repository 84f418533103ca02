/* SPDX-License-Identifier: MIT */
#ifndef SG_CAPS_H
#define SG_CAPS_H

#include <stdint.h>

/* The effective set as a mask of 1 << CAP_*; 0 when unreadable. */
uint64_t caps_effective(void);

#endif
