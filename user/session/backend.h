/* SPDX-License-Identifier: MIT */
#ifndef SG_BACKEND_H
#define SG_BACKEND_H

#include "auth/token_legacy.h"
#include "session/resolve.h"
#include "session/session.h"

/*
 * CONNECT: resolves and connects to a, using s->be and s->timer. Each
 * call reports: DONE with s->be.fd connected (the timer stopped), FAIL
 * with the code to answer (401, 502, 504) and why, or WAIT. A name's
 * answer comes to resolved (session/life.c's), which hands it to
 * backend_resolved().
 */
struct stage_res backend_start(struct session *s, const struct token_addr *a,
			       resolve_cb resolved);
struct stage_res backend_resolved(struct session *s, int status,
				  const char *err,
				  const struct sockaddr_storage *addrs, int n);
/* An event on s->be while connecting. */
struct stage_res backend_io(struct session *s, uint32_t events);
/* s->timer expired while connecting: a DNS or connect deadline. */
struct stage_res backend_timeout(struct session *s);
/* Cancels a lookup in progress (the session ends); no report. */
void backend_abort(struct session *s);

#endif
