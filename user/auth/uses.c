// SPDX-License-Identifier: MIT
/* The use counts of limited tokens: see auth/uses.h. */
#include <stdlib.h>
#include <string.h>

#include "auth/uses.h"

struct uses_slot {
	uint64_t id;
	uint64_t until; /* 0: free */
	uint32_t n;	/* uses taken */
};

int uses_init(struct uses *u, size_t max, _Atomic int64_t *used)
{
	size_t n = USES_WAYS;

	memset(u, 0, sizeof(*u));
	u->used = used;
	if (max == 0)
		return 0;
	while (n < 2 * max)
		n *= 2;
	u->slot = calloc(n, sizeof(*u->slot));
	if (!u->slot)
		return -1;
	u->nslot = n;
	u->max = max;
	pthread_mutex_init(&u->lock, NULL);
	return 0;
}

void uses_fini(struct uses *u)
{
	if (u->slot)
		pthread_mutex_destroy(&u->lock);
	free(u->slot);
	u->slot = NULL;
}

static void drop(struct uses *u, struct uses_slot *s)
{
	s->until = 0;
	atomic_fetch_sub(u->used, 1);
}

static void sweep(struct uses *u, uint64_t now)
{
	for (size_t i = 0; i < u->nslot; i++)
		if (u->slot[i].until && u->slot[i].until <= now)
			drop(u, &u->slot[i]);
}

/* the id is random bytes already */
static size_t bucket_of(const struct uses *u, uint64_t id)
{
	return (size_t)(id % (u->nslot / USES_WAYS)) * USES_WAYS;
}

enum uses_res uses_take(struct uses *u, uint64_t id, uint32_t limit,
			uint64_t until, uint64_t now)
{
	struct uses_slot *b, *free_slot = NULL;
	enum uses_res r = USES_FULL;

	if (!u->slot)
		return USES_FULL;
	pthread_mutex_lock(&u->lock);
	b = u->slot + bucket_of(u, id);
	for (int i = 0; i < USES_WAYS; i++) {
		struct uses_slot *s = &b[i];

		if (s->until && s->until <= now)
			drop(u, s);
		if (!s->until) {
			if (!free_slot)
				free_slot = s;
			continue;
		}
		if (s->id != id)
			continue;
		r = s->n < limit ? USES_OK : USES_SPENT;
		s->n += r == USES_OK;
		goto out;
	}
	/* full: what expired goes, looked for at most once a second */
	if (free_slot && (size_t)atomic_load(u->used) >= u->max &&
	    now != u->swept) {
		u->swept = now;
		sweep(u, now);
	}
	if (free_slot && (size_t)atomic_load(u->used) < u->max) {
		free_slot->id = id;
		free_slot->n = 1;
		free_slot->until = until;
		atomic_fetch_add(u->used, 1);
		r = USES_OK;
	}
out:
	pthread_mutex_unlock(&u->lock);
	return r;
}

void uses_sweep(struct uses *u, uint64_t now)
{
	if (!u->slot)
		return;
	pthread_mutex_lock(&u->lock);
	sweep(u, now);
	pthread_mutex_unlock(&u->lock);
}

size_t uses_bytes(const struct uses *u)
{
	return u->nslot * sizeof(struct uses_slot);
}
