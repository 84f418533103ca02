// SPDX-License-Identifier: MIT
/* The order to try an SRV record's targets in (RFC 2782). */
#include "session/srv.h"

static void swap(struct srv_rec *a, struct srv_rec *b)
{
	struct srv_rec t = *a;

	*a = *b;
	*b = t;
}

/* v[from..to) share a priority: fill it front to back by weighted draws. */
static void order_group(struct srv_rec *v, int from, int to,
			uint32_t (*rnd)(uint32_t bound))
{
	for (int pos = from; pos < to - 1; pos++) {
		uint32_t total = 0, pick, sum = 0;
		int i;

		/* weight 0 first, so that a draw of 0 takes one of them
		 * and any other draw passes them by */
		for (i = pos; i < to; i++) {
			total += v[i].weight;
			if (v[i].weight == 0)
				for (int j = i; j > pos && v[j - 1].weight; j--)
					swap(&v[j], &v[j - 1]);
		}
		pick = total ? rnd(total) + 1 : 0;
		for (i = pos; i < to - 1; i++) {
			sum += v[i].weight;
			if (sum >= pick)
				break;
		}
		swap(&v[pos], &v[i]);
	}
}

void srv_order(struct srv_rec *v, int n, uint32_t (*rnd)(uint32_t bound))
{
	/* a stable insertion sort by priority: answers are few */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1].prio > v[j].prio; j--)
			swap(&v[j], &v[j - 1]);
	for (int from = 0, to; from < n; from = to) {
		for (to = from + 1; to < n && v[to].prio == v[from].prio; to++)
			;
		order_group(v, from, to, rnd);
	}
}
