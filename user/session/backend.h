/* SPDX-License-Identifier: MIT */
#ifndef SG_BACKEND_H
#define SG_BACKEND_H

#include <stdint.h>

#include "session/session.h"
#include "auth/token_legacy.h"

/*
 * Resolves and connects to a, using s->be and s->timer (the CONNECT
 * stage); reports to done once: CODE_200 with s->be.fd connected, or
 * the code to answer (502, 504) and why.
 */
void backend_start(struct session *s, const struct token_addr *a,
		   backend_done_fn done);
/* An event on s->be while connecting. */
void backend_io(struct session *s, uint32_t events);
/* s->timer expired while connecting: a DNS or connect deadline. */
void backend_timeout(struct session *s);
/* Cancels a lookup in progress (the session ends); no report. */
void backend_abort(struct session *s);

#endif
