/* SPDX-License-Identifier: MIT */
#ifndef SG_STATUS_H
#define SG_STATUS_H

#include <stddef.h>

#include <pthread.h>
#include <stdint.h>

#include "auth/allow.h"
#include "ctl/metrics.h"

struct gateway;
struct worker;

/* Which sessions an operator ends (the control socket, --revoke-live). */
struct kill_req {
	enum { KILL_ID, KILL_CLIENT, KILL_BACKEND, KILL_REVOKED } by;
	int worker; /* KILL_ID: the session's id, "WORKER-START" */
	uint64_t start_ns;
	struct allow_rule rule; /* KILL_CLIENT, KILL_BACKEND */
	enum kill_by counter;
	char who[96]; /* who asked, for the log */
};

/* /sessions.json and kills ask each worker, which answers on its own
 * thread: one per worker, written by status.c only. */
struct status_ask {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned req, done;
	enum { ASK_ROWS, ASK_KILL, ASK_BYTES } op;
	struct kill_req kill; /* a copy: an answer may come late */
	unsigned killed;
	uint64_t bytes[4]; /* ASK_BYTES: up, down; of them the kernel's */
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
/* Ends the sessions k names, RST both ways, each logged with k->who;
 * how many. Waits for each worker at most a second. */
unsigned status_kill(struct gateway *gw, const struct kill_req *k);
/* What the sessions have moved, closed ones and live ones so far
 * (total[0] up, total[1] down; total[2], total[3]: of those, what the
 * BPF verdict redirected), added to total. Each worker counts its own
 * on its thread, so that the sum never goes down as a session closes.
 * Waits for each worker at most a second. */
void status_bytes(struct gateway *gw, uint64_t total[4]);
/* A session's id, as the JSON and kill show it. */
#define SESSION_ID_TEXT 32
/* Called by a worker when it is woken: answers a pending request. */
void status_worker_serve(struct worker *w);

#endif
