/* SPDX-License-Identifier: MIT */
#ifndef SG_POOL_H
#define SG_POOL_H

#include <stddef.h>

/*
 * Fixed-size objects for one thread, carved from 256 KiB mappings of
 * their own: long-lived small objects (sessions) do not sit between the
 * heap's short-lived large blocks (handshake and copy buffers), whose
 * pages could then not go back to the system. Freed objects are reused;
 * the mappings stay until pool_fini.
 */
struct pool {
	size_t size;  /* object size, a multiple of 8 */
	void *free;   /* freed objects, linked through their first word */
	void *chunks; /* the mappings, linked through their first word */
	char *next;   /* the current mapping's unused part */
	char *end;
};

void pool_init(struct pool *p, size_t size);
/* A zeroed object, or NULL with errno ENOMEM. */
void *pool_get(struct pool *p);
void pool_put(struct pool *p, void *obj);
void pool_fini(struct pool *p);

#endif
