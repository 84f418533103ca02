/* SPDX-License-Identifier: MIT */
#ifndef SG_HIST_H
#define SG_HIST_H

#include <stdatomic.h>
#include <stdint.h>

/*
 * A histogram for the metrics (ctl/metrics.c renders it): counts by
 * bucket (each bucket's own, made cumulative when rendered) and their
 * sum. Its buckets' upper bounds are hist_latency or hist_duration (ns),
 * Prometheus's usual ones for request latency and for session lives.
 */
#define HIST_BUCKETS 14
struct hist {
	_Atomic uint64_t n[HIST_BUCKETS + 1]; /* the last: over them all */
	_Atomic uint64_t sum_ns;
};
extern const uint64_t hist_latency[HIST_BUCKETS], hist_duration[HIST_BUCKETS];
/* One observation of ns, from any thread. */
void hist_observe(struct hist *h, const uint64_t *bounds, uint64_t ns);

#endif
