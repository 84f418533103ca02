/* SPDX-License-Identifier: MIT */
#ifndef SG_IPRATE_H
#define SG_IPRATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"

/*
 * --rate-per-ip: new connections a second from one client address (IPv6
 * by its /64, which one host holds), a token bucket each (rate a second,
 * a burst of as many), shared by the workers. The table has a fixed
 * number of entries (IPRATE_SLOTS, set at start): when a bucket's ways
 * are all taken, the entry idle longest is reused; a full bucket has
 * refilled by then, so reusing it forgets nothing that mattered.
 */
#define IPRATE_WAYS 4

struct iprate {
	pthread_mutex_t lock;
	struct iprate_slot *slot;
	size_t nslot;	       /* a multiple of IPRATE_WAYS; 0: no limit */
	_Atomic int64_t *used; /* entries in use: the metrics' gauge */
	uint32_t rate;	       /* connections a second, and the burst */
};

/* rate 0: no limit, no memory; used: the gauge the table keeps its
 * count of entries in. 0, or -1: out of memory. */
int iprate_init(struct iprate *r, uint32_t rate, size_t slots,
		_Atomic int64_t *used);
void iprate_fini(struct iprate *r);
/* A connection from a at now_ns (the monotonic clock now, not a loop's
 * cached time: workers share the table): 1 let in, 0 over the rate. */
int iprate_take(struct iprate *r, const struct sg_caddr *a, uint64_t now_ns);
/* The table's bytes (for the metrics). */
size_t iprate_bytes(const struct iprate *r);

#endif
