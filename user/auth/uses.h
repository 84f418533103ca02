/* SPDX-License-Identifier: MIT */
#ifndef SG_USES_H
#define SG_USES_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The use counts of tokens with a use limit (auth/claims.h), by token id
 * (auth/revoke.h), shared by the workers. An entry lives until its token
 * expires (plus the leeway): a use-limited token always expires, so the
 * table empties itself. Its size is fixed at start (--token-uses-max
 * entries): when full, a new limited token is refused, never let in
 * uncounted. Entries sit in buckets of USES_WAYS; the table has twice
 * the slots it lets be used, so a bucket is rarely full before the
 * table is.
 */
#define USES_WAYS 8

struct uses {
	pthread_mutex_t lock;
	struct uses_slot *slot;
	size_t nslot, max;     /* slots; entries at most (0: none) */
	_Atomic int64_t *used; /* entries: the metrics' gauge */
	uint64_t swept;	       /* the last full sweep's second */
};

enum uses_res {
	USES_OK,    /* counted: let it in */
	USES_SPENT, /* every use taken */
	USES_FULL,  /* no room for a new token */
};

/* max entries (0: tokens with a use limit are all refused); used: the
 * gauge kept. 0, or -1: out of memory. */
int uses_init(struct uses *u, size_t max, _Atomic int64_t *used);
void uses_fini(struct uses *u);
/* One use of the token id, good for `limit` uses until `until` (Unix
 * seconds, the expiry plus the leeway), at `now`. */
enum uses_res uses_take(struct uses *u, uint64_t id, uint32_t limit,
			uint64_t until, uint64_t now);
/* Drops what expired by now (the metrics call it before they read). */
void uses_sweep(struct uses *u, uint64_t now);
size_t uses_bytes(const struct uses *u);

#endif
