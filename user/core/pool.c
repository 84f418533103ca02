// SPDX-License-Identifier: MIT
/* Fixed-size object pool: see core/pool.h. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/pool.h"

#define CHUNK (256u << 10)
#define HEAD 16 /* a mapping's link to the next */

/*
 * Under AddressSanitizer the objects come from malloc, so that it still
 * sees overruns, use after free and leaks of sessions.
 */
#if defined(__SANITIZE_ADDRESS__)
#define POOL_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_MALLOC 1
#endif
#endif

void pool_init(struct pool *p, size_t size)
{
	memset(p, 0, sizeof(*p));
	p->size = (size + 7) & ~(size_t)7; /* for the 8-byte fields */
}

void *pool_get(struct pool *p)
{
	void *obj;

#ifdef POOL_MALLOC
	(void)obj;
	return calloc(1, p->size);
#else
	if (p->free) {
		obj = p->free;
		p->free = *(void **)obj;
		memset(obj, 0, p->size);
		return obj;
	}
	if (p->next == NULL || (size_t)(p->end - p->next) < p->size) {
		char *c = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (c == MAP_FAILED)
			return NULL; /* errno ENOMEM */
		*(void **)c = p->chunks;
		p->chunks = c;
		p->next = c + HEAD;
		p->end = c + CHUNK;
	}
	obj = p->next; /* fresh pages are zero */
	p->next += p->size;
	return obj;
#endif
}

void pool_put(struct pool *p, void *obj)
{
#ifdef POOL_MALLOC
	(void)p;
	free(obj);
#else
	*(void **)obj = p->free;
	p->free = obj;
#endif
}

void pool_fini(struct pool *p)
{
	while (p->chunks) {
		void *c = p->chunks;

		p->chunks = *(void **)c;
		munmap(c, CHUNK);
	}
	p->free = p->next = p->end = NULL;
}
