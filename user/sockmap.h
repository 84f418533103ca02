/* SPDX-License-Identifier: MIT */
#ifndef SG_SOCKMAP_H
#define SG_SOCKMAP_H

#include <stddef.h>
#include <stdint.h>

#include "sockgate_bpf.h"

struct sockmap;

/*
 * Loads the verdict program, attaches it to the active map and pins the
 * maps under <base>/<pid>/. Returns NULL with a reason in why when the
 * kernel or our privileges do not allow it.
 */
struct sockmap *sockmap_load(const char *base, uint32_t max_socks, char *why,
			     size_t whylen);
/* Detaches, unpins, frees. */
void sockmap_unload(struct sockmap *sm);
const char *sockmap_pin_dir(const struct sockmap *sm);

/*
 * Puts a session's two sockets in the maps: both into the redirect map,
 * then both under the verdict program, then SO_RCVLOWAT on each so the
 * bytes already in their TCP receive queues are run through the verdict.
 * Fills the sockets' cookies. 0, or -1 with errno set (nothing left in
 * the maps).
 */
int sockmap_insert(struct sockmap *sm, int cli_fd, int be_fd, uint64_t ck[2]);
/* Reads one socket's counters. 0 or -1. */
int sockmap_read(struct sockmap *sm, uint64_t ck, struct sg_sock *out);
/* Removes both sockets' entries; the counters are read first into out. */
void sockmap_remove(struct sockmap *sm, const uint64_t ck[2],
		    struct sg_sock out[2]);

#endif
