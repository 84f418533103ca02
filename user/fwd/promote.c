// SPDX-License-Identifier: MIT
/* Mode auto's promotion rule: see promote.h. */
#include "fwd/promote.h"

enum promo_step promote_rule(struct promo *p, int soon, enum fwd_ready ready,
			     uint64_t total, uint64_t now, uint64_t *retry_ns)
{
	uint64_t moved = total - p->last_total, dt = now - p->last_ns;
	unsigned shift;

	p->last_total = total;
	p->last_ns = now;
	*retry_ns = PROMOTE_RETRY_NS;
	if (ready == FWD_HALF_CLOSED)
		return PROMO_STOP;
	if ((soon || p->checks > 0) && ready == FWD_QUIET)
		return PROMO_SOCKMAP;
	if (!soon && p->checks > 0 &&
	    moved * 1000000000ull >= BUSY_BYTES_PER_S * dt) {
		if (p->seeks++ < SEEK_CHECKS)
			return PROMO_SEEK;
		return ready >= FWD_EMPTY ? PROMO_SPLICE : PROMO_WAIT;
	}
	shift = p->checks < PROMOTE_RETRY_MAX_SHIFT ? p->checks :
						      PROMOTE_RETRY_MAX_SHIFT;
	p->checks++;
	*retry_ns = PROMOTE_RETRY_NS << shift;
	return PROMO_WAIT;
}
