// SPDX-License-Identifier: MIT
/* Histograms for the metrics: see core/hist.h. */
#include "core/hist.h"

#define MS 1000000ull
#define SEC 1000000000ull

const uint64_t hist_latency[HIST_BUCKETS] = {
	MS / 2,	  MS,	    MS * 5 / 2, 5 * MS, 10 * MS,     25 * MS, 50 * MS,
	100 * MS, 250 * MS, 500 * MS,	SEC,	SEC * 5 / 2, 5 * SEC, 10 * SEC,
};
const uint64_t hist_duration[HIST_BUCKETS] = {
	SEC,	     5 * SEC,	  10 * SEC,    30 * SEC,     60 * SEC,
	300 * SEC,   600 * SEC,	  1800 * SEC,  3600 * SEC,   7200 * SEC,
	14400 * SEC, 28800 * SEC, 86400 * SEC, 604800 * SEC,
};

void hist_observe(struct hist *h, const uint64_t *bounds, uint64_t ns)
{
	int i = 0;

	while (i < HIST_BUCKETS && ns > bounds[i])
		i++;
	atomic_fetch_add_explicit(&h->n[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_ns, ns, memory_order_relaxed);
}
