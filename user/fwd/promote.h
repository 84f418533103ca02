/* SPDX-License-Identifier: MIT */
#ifndef SG_PROMOTE_H
#define SG_PROMOTE_H

#include <stdint.h>

/*
 * Mode auto's promotion rule, as a function of what a check sees: a
 * session on copy moves to sockmap as soon as it is quiet (the kernel
 * forwards; an idle one keeps 232 bytes); a stream (BUSY_BYTES_PER_S)
 * seeks an skb boundary with large buffers for up to SEEK_CHECKS checks,
 * then goes to splice. A session found neither is looked at again after
 * 10 ms, doubling to 1.28 s: a bulk stream that never pauses costs a few
 * checks a second. The first check of a later promotion only starts the
 * measurement.
 */
#define PROMOTE_RETRY_NS 10000000ull
#define PROMOTE_RETRY_MAX_SHIFT 7
/* moving at least this many bytes a second (64 KiB in 10 ms) is busy */
#define BUSY_BYTES_PER_S 6553600ull
/* checks a stream seeks an skb boundary before it goes to splice */
#define SEEK_CHECKS 8

/* How ready a session is to leave its path (struct fwd_ops.ready). */
enum fwd_ready {
	FWD_HALF_CLOSED, /* a side sent FIN: it ends where it is */
	FWD_BUSY,	 /* bytes in its buffers */
	FWD_EMPTY,	 /* buffers empty: splice may take it */
	FWD_QUIET,	 /* and no skb half read: sockmap may take it */
};

/* What the rule keeps between checks, in the forwarder's state. */
struct promo {
	uint32_t checks;     /* checks so far */
	uint32_t seeks;	     /* of them, with seek buffers */
	uint64_t last_total; /* bytes moved at the last check */
	uint64_t last_ns;    /* and its time */
};

enum promo_step {
	PROMO_STOP,    /* it stays: no more checks */
	PROMO_SOCKMAP, /* move to sockmap now */
	PROMO_SPLICE,  /* move to splice now */
	PROMO_SEEK,    /* seek an skb boundary; if that fails and it is at
			* least FWD_EMPTY, splice; else check again after
			* *retry_ns */
	PROMO_WAIT,    /* check again after *retry_ns */
};

/*
 * One check at time now with total bytes moved so far; soon: the session
 * waits only for its half-read skb (mode sockmap), not for time to pass.
 * Updates p.
 */
enum promo_step promote_rule(struct promo *p, int soon, enum fwd_ready ready,
			     uint64_t total, uint64_t now, uint64_t *retry_ns);

#endif
