/* SPDX-License-Identifier: MIT */
#ifndef SG_FWD_SOCKMAP_H
#define SG_FWD_SOCKMAP_H

#include "fwd/fwd.h"

/* The kernel moves the bytes (bpf/sockmap.bpf.c); needs gw->sm. */
extern const struct fwd_ops fwd_sockmap_ops;

#endif
