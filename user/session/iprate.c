// SPDX-License-Identifier: MIT
/* New connections a second per client address: see session/iprate.h. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "session/iprate.h"

struct iprate_slot {
	uint8_t key[16]; /* the address, an IPv6 one cut to its /64 */
	uint8_t family;	 /* 0: free */
	uint32_t milli;	 /* tokens, in thousandths */
	uint64_t last_ns;
};

int iprate_init(struct iprate *r, uint32_t rate, size_t slots,
		_Atomic int64_t *used)
{
	memset(r, 0, sizeof(*r));
	r->rate = rate;
	r->used = used;
	if (!rate)
		return 0;
	r->nslot = (slots + IPRATE_WAYS - 1) / IPRATE_WAYS * IPRATE_WAYS;
	r->slot = calloc(r->nslot, sizeof(*r->slot));
	pthread_mutex_init(&r->lock, NULL);
	return r->slot ? 0 : -1;
}

void iprate_fini(struct iprate *r)
{
	if (!r->slot)
		return;
	free(r->slot);
	r->slot = NULL;
	pthread_mutex_destroy(&r->lock);
}

/* The key: an IPv4 address whole, an IPv6 one by its /64. */
static void key_of(const struct sg_caddr *a, uint8_t key[16])
{
	memcpy(key, a->ip, 16);
	if (a->family == AF_INET6)
		memset(key + 8, 0, 8);
}

static size_t bucket(const uint8_t key[16], uint8_t family, size_t nslot)
{
	uint32_t h = 2166136261u ^ family;

	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	return h % (nslot / IPRATE_WAYS) * IPRATE_WAYS;
}

/* Its entry, or a free one, or the one idle longest (reset). */
static struct iprate_slot *slot_for(struct iprate *r, const uint8_t key[16],
				    uint8_t family, uint64_t now_ns)
{
	struct iprate_slot *b = r->slot + bucket(key, family, r->nslot);
	struct iprate_slot *pick = NULL;

	for (int i = 0; i < IPRATE_WAYS; i++) {
		struct iprate_slot *s = &b[i];

		if (s->family == family && !memcmp(s->key, key, 16))
			return s;
		if (!s->family) {
			if (!pick || pick->family)
				pick = s;
		} else if (!pick ||
			   (pick->family && s->last_ns < pick->last_ns)) {
			pick = s;
		}
	}
	if (!pick->family)
		atomic_fetch_add_explicit(r->used, 1, memory_order_relaxed);
	memcpy(pick->key, key, 16);
	pick->family = family;
	pick->milli = r->rate * 1000u; /* a full burst */
	pick->last_ns = now_ns;
	return pick;
}

int iprate_take(struct iprate *r, const struct sg_caddr *a, uint64_t now_ns)
{
	struct iprate_slot *s;
	uint8_t key[16];
	uint64_t add, cap;
	int ok;

	if (!r->rate)
		return 1;
	key_of(a, key);
	cap = (uint64_t)r->rate * 1000u;
	pthread_mutex_lock(&r->lock);
	s = slot_for(r, key, a->family, now_ns);
	/* refill: rate a second, thousandths of a token a millisecond;
	 * another worker's clock may have stamped it a moment later */
	add = now_ns > s->last_ns ? (now_ns - s->last_ns) / 1000000u * r->rate :
				    0;
	s->milli = (uint32_t)(s->milli + add > cap ? cap : s->milli + add);
	if (add)
		s->last_ns = now_ns;
	ok = s->milli >= 1000;
	if (ok)
		s->milli -= 1000;
	pthread_mutex_unlock(&r->lock);
	return ok;
}

size_t iprate_bytes(const struct iprate *r)
{
	return r->nslot * sizeof(struct iprate_slot);
}
