/* SPDX-License-Identifier: MIT */
#ifndef SG_PERIP_H
#define SG_PERIP_H

#include <pthread.h>
#include <stddef.h>

#include "core/addr.h"

/*
 * --max-conns-per-ip: connections at once from one client address
 * (IPv6 by its whole address), shared by the workers.
 */
struct perip {
	pthread_mutex_t lock;
	struct perip_node **bucket;
	size_t nbucket;
	unsigned max; /* 0: no limit */
};

int perip_init(struct perip *p, unsigned max);
void perip_fini(struct perip *p);
/* One more connection from a: 1 counted, 0 over the limit (not
 * counted), -1 out of memory (not counted, let in). */
int perip_take(struct perip *p, const struct sg_caddr *a);
/* One connection from a ended (one perip_take counted). */
void perip_give(struct perip *p, const struct sg_caddr *a);

#endif
