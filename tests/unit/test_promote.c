// SPDX-License-Identifier: MIT
/* fwd/promote.c: mode auto's promotion rule, check by check. */
#include "fwd/promote.h"
#include "unit.h"

TestSuite(promote, .timeout = 10);

#define MS 1000000ull

Test(promote, a_quiet_session_moves_at_its_second_check)
{
	struct promo p = { 0 };
	uint64_t retry;

	/* the first check only starts the measurement */
	cr_expect_eq(promote_rule(&p, 0, FWD_QUIET, 100, 50 * MS, &retry),
		     PROMO_WAIT);
	cr_expect_eq(retry, PROMOTE_RETRY_NS);
	cr_expect_eq(promote_rule(&p, 0, FWD_QUIET, 100, 60 * MS, &retry),
		     PROMO_SOCKMAP);
}

Test(promote, soon_moves_at_once_when_quiet)
{
	struct promo p = { 0 };
	uint64_t retry;

	cr_expect_eq(promote_rule(&p, 1, FWD_EMPTY, 0, 0, &retry), PROMO_WAIT);
	cr_expect_eq(promote_rule(&p, 1, FWD_QUIET, 0, MS, &retry),
		     PROMO_SOCKMAP);
}

Test(promote, half_closed_stays)
{
	struct promo p = { .checks = 3 };
	uint64_t retry;

	cr_expect_eq(promote_rule(&p, 0, FWD_HALF_CLOSED, 0, MS, &retry),
		     PROMO_STOP);
}

Test(promote, a_busy_stream_seeks_then_goes_to_splice)
{
	struct promo p = { 0 };
	uint64_t retry, now = 0, total = 0;
	int seeks = 0;

	cr_expect_eq(promote_rule(&p, 0, FWD_BUSY, total, now, &retry),
		     PROMO_WAIT);
	/* 1 MiB each 10 ms is well over BUSY_BYTES_PER_S */
	for (int i = 0; i < SEEK_CHECKS; i++) {
		now += 10 * MS;
		total += 1 << 20;
		cr_expect_eq(promote_rule(&p, 0, FWD_BUSY, total, now, &retry),
			     PROMO_SEEK, "check %d", i);
		cr_expect_eq(retry, PROMOTE_RETRY_NS);
		seeks++;
	}
	cr_expect_eq(seeks, SEEK_CHECKS);
	/* seeks used up: busy buffers wait, empty ones go to splice */
	now += 10 * MS;
	total += 1 << 20;
	cr_expect_eq(promote_rule(&p, 0, FWD_BUSY, total, now, &retry),
		     PROMO_WAIT);
	now += 10 * MS;
	total += 1 << 20;
	cr_expect_eq(promote_rule(&p, 0, FWD_EMPTY, total, now, &retry),
		     PROMO_SPLICE);
}

Test(promote, a_slow_session_backs_off_to_the_cap)
{
	struct promo p = { 0 };
	uint64_t retry, now = 0, want = PROMOTE_RETRY_NS;

	for (int i = 0; i < 12; i++) {
		/* a few bytes a check: not busy, not quiet */
		cr_expect_eq(promote_rule(&p, 0, FWD_BUSY, (uint64_t)i * 10,
					  now, &retry),
			     PROMO_WAIT);
		cr_expect_eq(retry, want, "check %d: %llu", i,
			     (unsigned long long)retry);
		now += retry;
		if (i < PROMOTE_RETRY_MAX_SHIFT)
			want = PROMOTE_RETRY_NS << (i + 1);
	}
	cr_expect_eq(want, PROMOTE_RETRY_NS << PROMOTE_RETRY_MAX_SHIFT);
}
