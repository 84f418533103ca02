/* SPDX-License-Identifier: MIT */
#ifndef SG_PROMOTE_H
#define SG_PROMOTE_H

#include <stdint.h>

/*
 * Mode auto's promotion rule, as a function of what a check sees. The
 * kernel path pays for streams only: it moves bulk at half the CPU a GB
 * of user space, but each small message it redirects wakes a kworker,
 * and each of its sessions holds about 2.9 KiB more of kernel memory
 * (two psocks and map entries; bench/). So with --promote-rate R > 0 a
 * session on copy moves only while it streams: at least R bytes a
 * second, PROMOTE_READ_MIN bytes a read on average. Then it moves to
 * sockmap as soon as it is quiet (no skb half read), or seeks an skb
 * boundary with large buffers for up to SEEK_CHECKS checks and then goes
 * to splice. A session found idle or chatty stays on copy and is not
 * looked at again (dormant, no timer) until a read fills its buffer;
 * the check after that starts a new measurement. With R = 0 every
 * session that lasts moves as soon as it is quiet (the rule before).
 * A session neither is looked at again after 10 ms, doubling to 1.28 s.
 */
#define PROMOTE_RETRY_NS 10000000ull
#define PROMOTE_RETRY_MAX_SHIFT 7
/* moving at least this many bytes a second (64 KiB in 10 ms) is busy */
#define BUSY_BYTES_PER_S 6553600ull
/* a stream's reads: at least this many bytes each, on average */
#define PROMOTE_READ_MIN 4096u
/* checks a stream seeks an skb boundary before it goes to splice */
#define SEEK_CHECKS 8

/* How ready a session is to leave its path (struct fwd_ops.ready). */
enum fwd_ready {
	FWD_HALF_CLOSED, /* a side sent FIN: it ends where it is */
	FWD_BUSY,	 /* bytes in its buffers */
	FWD_EMPTY,	 /* buffers empty: splice may take it */
	FWD_QUIET,	 /* and no skb half read: sockmap may take it */
};

/* A session's promotion state (struct session.promote). */
enum promote {
	PROMOTE_LATER = 1, /* mode auto: once it has lasted --promote-after */
	PROMOTE_SOON,	   /* mode sockmap: once no skb is half read */
	PROMOTE_DORMANT,   /* auto: idle or chatty; a full read wakes it */
};

/* What the rule keeps between checks, in the forwarder's state. */
struct promo {
	uint32_t checks;     /* checks so far */
	uint32_t seeks;	     /* of them, with seek buffers */
	uint64_t last_total; /* bytes moved at the last check */
	uint64_t last_ns;    /* and its time */
	uint64_t reads;	     /* the forwarder's reads that got bytes */
	uint64_t last_reads; /* and their count at the last check */
};

enum promo_step {
	PROMO_STOP,    /* it stays: no more checks */
	PROMO_SOCKMAP, /* move to sockmap now */
	PROMO_SPLICE,  /* move to splice now */
	PROMO_SEEK,    /* seek an skb boundary; if that fails and it is at
			* least FWD_EMPTY, splice; else check again after
			* *retry_ns */
	PROMO_WAIT,    /* check again after *retry_ns */
	PROMO_DORMANT, /* stays, unchecked until a read fills its buffer */
};

/*
 * One check at time now with total bytes moved so far (p->reads counted
 * by the forwarder); soon: the session waits only for its half-read skb
 * (mode sockmap), not for time to pass; rate: --promote-rate. Updates p.
 */
enum promo_step promote_rule(struct promo *p, int soon, enum fwd_ready ready,
			     uint64_t total, uint64_t now, uint64_t rate,
			     uint64_t *retry_ns);
/* A dormant session's buffer filled: the measurement starts again at
 * now with total bytes moved. */
void promote_wake(struct promo *p, uint64_t total, uint64_t now);

#endif
