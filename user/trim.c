// SPDX-License-Identifier: MIT
/* Returning freed heap pages after many frees: see trim.h. */
#include <malloc.h>

#include "trim.h"

#define TRIM_AFTER_BYTES (1u << 20)
#define TRIM_DELAY_NS 1000000000ull

static void trim_cb(struct ev_loop *loop, struct ev_timer *timer)
{
	struct trim *t = container_of(timer, struct trim, timer);

	(void)loop;
	t->freed = 0;
	malloc_trim(0);
}

void trim_init(struct trim *t)
{
	t->freed = 0;
	ev_timer_init(&t->timer, trim_cb);
}

void trim_note(struct trim *t, struct ev_loop *loop, size_t n)
{
	t->freed += n;
	if (t->freed >= TRIM_AFTER_BYTES && !ev_timer_active(&t->timer))
		ev_timer_start(loop, &t->timer, TRIM_DELAY_NS);
}
