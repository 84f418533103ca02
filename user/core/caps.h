/* SPDX-License-Identifier: MIT */
#ifndef SG_CAPS_H
#define SG_CAPS_H

#include <linux/capability.h>
#include <stdint.h>

/* capget(2) of this thread, version 3 (two words). 0 or -1. */
int caps_get(struct __user_cap_data_struct d[2]);
/* The effective set as a mask of 1 << CAP_*; 0 when unreadable. */
uint64_t caps_effective(void);

#endif
