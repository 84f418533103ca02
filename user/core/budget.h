/* SPDX-License-Identifier: MIT */
#ifndef SG_BUDGET_H
#define SG_BUDGET_H

#include <stddef.h>

/*
 * Bytes a worker may lend out beyond what sessions need: the large
 * buffers of sockmap's congestion episodes and of copy sessions seeking
 * an skb boundary borrow from one budget, so that together they hold at
 * most its cap. One thread's (no locking).
 */
struct budget {
	size_t used, cap;
};

#define BUDGET_BUFS (32u << 20) /* a worker's large buffers */

/* Takes n bytes if they fit: 1, or 0 (nothing taken). */
static inline int budget_take(struct budget *b, size_t n)
{
	if (b->used + n > b->cap)
		return 0;
	b->used += n;
	return 1;
}

static inline void budget_give(struct budget *b, size_t n)
{
	b->used -= n;
}

#endif
