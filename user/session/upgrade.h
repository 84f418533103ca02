/* SPDX-License-Identifier: MIT */
#ifndef SG_UPGRADE_H
#define SG_UPGRADE_H

#include <stddef.h>

#include "session/session.h"

/*
 * HANDSHAKE of a WebSocket client: its opening request in s->setup->buf
 * (in clear or from TLS). WAIT until the request is whole; FAIL 400
 * with an HTTP answer (s->setup->http_status) for a malformed or refused
 * one; else DONE: the 101 answer is queued, the edge speaks frames, and
 * *token (in s->setup->buf: the path, query or subprotocol's) of *len
 * bytes is to be checked as a token line's would be.
 */
struct stage_res upgrade_read(struct session *s, char **token, size_t *len);

#endif
