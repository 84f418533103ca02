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
	cr_expect_eq(promote_rule(&p, 0, FWD_QUIET, 100, 50 * MS, 0, &retry),
		     PROMO_WAIT);
	cr_expect_eq(retry, PROMOTE_RETRY_NS);
	cr_expect_eq(promote_rule(&p, 0, FWD_QUIET, 100, 60 * MS, 0, &retry),
		     PROMO_SOCKMAP);
}

Test(promote, soon_moves_at_once_when_quiet)
{
	struct promo p = { 0 };
	uint64_t retry;

	cr_expect_eq(promote_rule(&p, 1, FWD_EMPTY, 0, 0, 0, &retry),
		     PROMO_WAIT);
	cr_expect_eq(promote_rule(&p, 1, FWD_QUIET, 0, MS, 0, &retry),
		     PROMO_SOCKMAP);
}

Test(promote, half_closed_stays)
{
	struct promo p = { .checks = 3 };
	uint64_t retry;

	cr_expect_eq(promote_rule(&p, 0, FWD_HALF_CLOSED, 0, MS, 0, &retry),
		     PROMO_STOP);
}

Test(promote, a_busy_stream_seeks_then_goes_to_splice)
{
	struct promo p = { 0 };
	uint64_t retry, now = 0, total = 0;
	int seeks = 0;

	cr_expect_eq(promote_rule(&p, 0, FWD_BUSY, total, now, 0, &retry),
		     PROMO_WAIT);
	/* 1 MiB each 10 ms is well over BUSY_BYTES_PER_S */
	for (int i = 0; i < SEEK_CHECKS; i++) {
		now += 10 * MS;
		total += 1 << 20;
		cr_expect_eq(promote_rule(&p, 0, FWD_BUSY, total, now, 0,
					  &retry),
			     PROMO_SEEK, "check %d", i);
		cr_expect_eq(retry, PROMOTE_RETRY_NS);
		seeks++;
	}
	cr_expect_eq(seeks, SEEK_CHECKS);
	/* seeks used up: busy buffers wait, empty ones go to splice */
	now += 10 * MS;
	total += 1 << 20;
	cr_expect_eq(promote_rule(&p, 0, FWD_BUSY, total, now, 0, &retry),
		     PROMO_WAIT);
	now += 10 * MS;
	total += 1 << 20;
	cr_expect_eq(promote_rule(&p, 0, FWD_EMPTY, total, now, 0, &retry),
		     PROMO_SPLICE);
}

Test(promote, a_slow_session_backs_off_to_the_cap)
{
	struct promo p = { 0 };
	uint64_t retry, now = 0, want = PROMOTE_RETRY_NS;

	for (int i = 0; i < 12; i++) {
		/* a few bytes a check: not busy, not quiet */
		cr_expect_eq(promote_rule(&p, 0, FWD_BUSY, (uint64_t)i * 10,
					  now, 0, &retry),
			     PROMO_WAIT);
		cr_expect_eq(retry, want, "check %d: %llu", i,
			     (unsigned long long)retry);
		now += retry;
		if (i < PROMOTE_RETRY_MAX_SHIFT)
			want = PROMOTE_RETRY_NS << (i + 1);
	}
	cr_expect_eq(want, PROMOTE_RETRY_NS << PROMOTE_RETRY_MAX_SHIFT);
}

/* --promote-rate R > 0 (the default): only a stream moves. */
#define RATE 6553600ull

Test(promote, an_idle_session_stays_dormant)
{
	struct promo p = { 0 };
	uint64_t retry;

	cr_expect_eq(promote_rule(&p, 0, FWD_QUIET, 100, 50 * MS, RATE, &retry),
		     PROMO_WAIT);
	cr_expect_eq(promote_rule(&p, 0, FWD_QUIET, 100, 60 * MS, RATE, &retry),
		     PROMO_DORMANT);
}

Test(promote, a_chatty_session_stays_dormant)
{
	struct promo p = { 0 };
	uint64_t retry;

	cr_expect_eq(promote_rule(&p, 0, FWD_QUIET, 0, 50 * MS, RATE, &retry),
		     PROMO_WAIT);
	/* 64 KiB in 10 ms is the rate, but in 64-byte reads */
	p.reads += 1024;
	cr_expect_eq(promote_rule(&p, 0, FWD_QUIET, 65536, 60 * MS, RATE,
				  &retry),
		     PROMO_DORMANT);
}

Test(promote, a_stream_moves_when_quiet_or_seeks)
{
	struct promo p = { 0 };
	uint64_t retry;

	cr_expect_eq(promote_rule(&p, 0, FWD_BUSY, 0, 50 * MS, RATE, &retry),
		     PROMO_WAIT);
	/* 1 MiB in 16 KiB reads in 10 ms */
	p.reads += 64;
	cr_expect_eq(promote_rule(&p, 0, FWD_BUSY, 1 << 20, 60 * MS, RATE,
				  &retry),
		     PROMO_SEEK);
	p.reads += 64;
	cr_expect_eq(promote_rule(&p, 0, FWD_QUIET, 2 << 20, 70 * MS, RATE,
				  &retry),
		     PROMO_SOCKMAP);
}

Test(promote, a_woken_session_measures_from_the_wake)
{
	struct promo p = { 0 };
	uint64_t retry;

	cr_expect_eq(promote_rule(&p, 0, FWD_QUIET, 0, 50 * MS, RATE, &retry),
		     PROMO_WAIT);
	cr_expect_eq(promote_rule(&p, 0, FWD_QUIET, 10, 60 * MS, RATE, &retry),
		     PROMO_DORMANT);
	/* an hour later a read fills the buffer: 1 MiB in the next 10 ms
	 * is a stream, however long it was quiet before */
	promote_wake(&p, 10, 3600000 * MS);
	p.reads += 64;
	cr_expect_eq(promote_rule(&p, 0, FWD_QUIET, 10 + (1 << 20),
				  3600010 * MS, RATE, &retry),
		     PROMO_SOCKMAP);
}
