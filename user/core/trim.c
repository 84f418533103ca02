// SPDX-License-Identifier: MIT
/* Returning freed heap pages after many frees: see core/trim.h. */
#include <malloc.h>

#include "core/trim.h"

#define TRIM_AFTER_BYTES (1u << 20)
#define TRIM_DELAY_NS 1000000000ull

static void trim_cb(struct evl *loop, struct evl_timer *timer)
{
	struct trim *t = container_of(timer, struct trim, timer);

	(void)loop;
	t->freed = 0;
	malloc_trim(0);
}

void trim_init(struct trim *t)
{
	t->freed = 0;
	evl_timer_init(&t->timer, trim_cb);
}

void trim_note(struct trim *t, struct evl *loop, size_t n)
{
	t->freed += n;
	if (t->freed >= TRIM_AFTER_BYTES && !evl_timer_active(&t->timer))
		evl_timer_start(loop, &t->timer, TRIM_DELAY_NS);
}
