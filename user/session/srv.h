/* SPDX-License-Identifier: MIT */
#ifndef SG_SRV_H
#define SG_SRV_H

#include <stdint.h>

/* One SRV answer: a target to try and its own port. */
struct srv_rec {
	uint16_t prio, weight, port;
	const char *host;
};

/*
 * Orders v for trying, as RFC 2782 says: lower priority first; within a
 * priority a weighted random order, where a target's chance to come next
 * is its weight over the remaining weights (weight 0 only when nothing
 * else is left, or all are 0). rnd(bound) is uniform in [0, bound).
 */
void srv_order(struct srv_rec *v, int n, uint32_t (*rnd)(uint32_t bound));

#endif
