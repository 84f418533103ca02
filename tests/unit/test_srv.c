// SPDX-License-Identifier: MIT
/* session/srv.c: the order SRV targets are tried in (RFC 2782). */
#include <string.h>

#include "session/srv.h"
#include "unit.h"

TestSuite(srv, .timeout = 10);

static uint32_t always_zero(uint32_t bound)
{
	(void)bound;
	return 0;
}

static uint32_t always_last(uint32_t bound)
{
	return bound ? bound - 1 : 0;
}

Test(srv, priority_first_then_weight)
{
	struct srv_rec v[] = {
		{ 20, 0, 1, "c" }, { 10, 1, 2, "a" }, { 10, 9, 3, "b" },
		{ 30, 5, 4, "d" }, { 10, 0, 5, "z" },
	};
	static const char *const lo[] = { "a", "b", "z", "c", "d" };
	static const char *const hi[] = { "b", "a", "z", "c", "d" };

	srv_order(v, 5, always_zero);
	for (int i = 0; i < 5; i++)
		cr_expect_str_eq(v[i].host, lo[i], "zero draw, slot %d", i);
	srv_order(v, 5, always_last);
	for (int i = 0; i < 5; i++)
		cr_expect_str_eq(v[i].host, hi[i], "last draw, slot %d", i);
}

/* A draw is 1 to the weights' sum: weight 0 comes last in its priority. */

/* Over many draws a weight-9 target comes first about 9 times as often
 * as a weight-1 one, and weight 0 is never first while others remain. */
static uint32_t lcg_state = 12345;
static uint32_t lcg(uint32_t bound)
{
	lcg_state = lcg_state * 1103515245u + 12345u;
	return bound ? (lcg_state >> 8) % bound : 0;
}

Test(srv, weights_share_the_first_place)
{
	int first[3] = { 0 };

	for (int round = 0; round < 10000; round++) {
		struct srv_rec v[] = { { 1, 1, 1, "one" },
				       { 1, 9, 2, "nine" },
				       { 1, 0, 3, "zero" } };

		srv_order(v, 3, lcg);
		first[v[0].port - 1]++;
	}
	cr_expect_eq(first[2], 0, "weight 0 first %d times", first[2]);
	cr_expect(first[1] > 8 * first[0] && first[1] < 10 * first[0],
		  "nine %d, one %d", first[1], first[0]);
}
