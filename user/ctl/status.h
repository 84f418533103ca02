/* SPDX-License-Identifier: MIT */
#ifndef SG_STATUS_H
#define SG_STATUS_H

#include <stddef.h>

#include <pthread.h>

struct gateway;
struct worker;

/* /sessions.json asks each worker, which answers on its own thread:
 * one per worker, written by status.c only. */
struct status_ask {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned req, done;
	char *buf;
	size_t len;
};

/*
 * /sessions.json: every live session of every worker. A session belongs
 * to its worker's thread, so the endpoint asks each worker for rows and
 * waits for them (at most a second): each worker writes its own, with
 * the kernel's counters for a sockmap session, on its own thread.
 */
/* The JSON document, malloc'd; *len its length. NULL when out of memory. */
char *status_sessions_json(struct gateway *gw, size_t *len);
/* Called by a worker when it is woken: answers a pending request. */
void status_worker_serve(struct worker *w);

#endif
