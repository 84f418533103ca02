// SPDX-License-Identifier: MIT
/* Mode auto's promotion rule: see promote.h. */
#include "fwd/promote.h"

/* Moved at least rate bytes a second over dt, in large reads. */
static int streaming(uint64_t moved, uint64_t reads, uint64_t dt, uint64_t rate)
{
	return moved * 1000000000ull >= rate * dt && reads &&
	       moved / reads >= PROMOTE_READ_MIN;
}

enum promo_step promote_rule(struct promo *p, int soon, enum fwd_ready ready,
			     uint64_t total, uint64_t now, uint64_t rate,
			     uint64_t *retry_ns)
{
	uint64_t moved = total - p->last_total, dt = now - p->last_ns;
	uint64_t reads = p->reads - p->last_reads;
	unsigned shift;
	int busy;

	p->last_total = total;
	p->last_ns = now;
	p->last_reads = p->reads;
	*retry_ns = PROMOTE_RETRY_NS;
	if (ready == FWD_HALF_CLOSED)
		return PROMO_STOP;
	if (soon && ready == FWD_QUIET)
		return PROMO_SOCKMAP;
	if (!soon && p->checks > 0) {
		if (rate == 0) {
			/* every session that lasts */
			if (ready == FWD_QUIET)
				return PROMO_SOCKMAP;
			busy = moved * 1000000000ull >= BUSY_BYTES_PER_S * dt;
		} else {
			busy = streaming(moved, reads, dt, rate);
			if (!busy)
				return PROMO_DORMANT;
			if (ready == FWD_QUIET)
				return PROMO_SOCKMAP;
		}
		if (busy) {
			if (p->seeks++ < SEEK_CHECKS)
				return PROMO_SEEK;
			return ready >= FWD_EMPTY ? PROMO_SPLICE : PROMO_WAIT;
		}
	}
	shift = p->checks < PROMOTE_RETRY_MAX_SHIFT ? p->checks :
						      PROMOTE_RETRY_MAX_SHIFT;
	p->checks++;
	*retry_ns = PROMOTE_RETRY_NS << shift;
	return PROMO_WAIT;
}

void promote_wake(struct promo *p, uint64_t total, uint64_t now)
{
	p->checks = 1;
	p->seeks = 0;
	p->last_total = total;
	p->last_ns = now;
	p->last_reads = p->reads;
}
