// SPDX-License-Identifier: MIT
/* Connections per client address: see session/perip.h. */
#include <stdlib.h>
#include <string.h>

#include "session/perip.h"

struct perip_node {
	struct perip_node *next;
	uint8_t ip[16];
	uint8_t family;
	unsigned n;
};

#define NBUCKET 4096

int perip_init(struct perip *p, unsigned max)
{
	memset(p, 0, sizeof(*p));
	p->max = max;
	if (!max)
		return 0;
	p->nbucket = NBUCKET;
	p->bucket = calloc(p->nbucket, sizeof(*p->bucket));
	pthread_mutex_init(&p->lock, NULL);
	return p->bucket ? 0 : -1;
}

void perip_fini(struct perip *p)
{
	if (!p->bucket)
		return;
	for (size_t i = 0; i < p->nbucket; i++)
		while (p->bucket[i]) {
			struct perip_node *n = p->bucket[i];

			p->bucket[i] = n->next;
			free(n);
		}
	free(p->bucket);
	pthread_mutex_destroy(&p->lock);
}

static size_t hash(const struct sg_caddr *a)
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < 16; i++)
		h = (h ^ a->ip[i]) * 16777619u;
	return h % NBUCKET;
}

static struct perip_node **find(struct perip *p, const struct sg_caddr *a)
{
	struct perip_node **pp = &p->bucket[hash(a)];

	while (*pp && ((*pp)->family != a->family ||
		       memcmp((*pp)->ip, a->ip, sizeof(a->ip)) != 0))
		pp = &(*pp)->next;
	return pp;
}

int perip_take(struct perip *p, const struct sg_caddr *a)
{
	struct perip_node **pp, *n;
	int r = 1;

	if (!p->max)
		return 1;
	pthread_mutex_lock(&p->lock);
	pp = find(p, a);
	if (*pp && (*pp)->n >= p->max) {
		r = 0;
	} else if (*pp) {
		(*pp)->n++;
	} else if ((n = calloc(1, sizeof(*n)))) {
		memcpy(n->ip, a->ip, sizeof(n->ip));
		n->family = a->family;
		n->n = 1;
		*pp = n;
	} else {
		r = -1;
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}

void perip_give(struct perip *p, const struct sg_caddr *a)
{
	struct perip_node **pp, *n;

	if (!p->max)
		return;
	pthread_mutex_lock(&p->lock);
	pp = find(p, a);
	if (*pp && --(*pp)->n == 0) {
		n = *pp;
		*pp = n->next;
		free(n);
	}
	pthread_mutex_unlock(&p->lock);
}
