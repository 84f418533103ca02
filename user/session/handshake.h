/* SPDX-License-Identifier: MIT */
#ifndef SG_HANDSHAKE_H
#define SG_HANDSHAKE_H

#include "auth/token_legacy.h"
#include "session/session.h"

/*
 * HANDSHAKE: reads what the client sent. DONE once the token line opened
 * to an address (in addr); FAIL 400 for a malformed line, 401 for a
 * token refused; WAIT for more.
 */
struct stage_res handshake_read(struct session *s, struct token_addr *addr);
/* A refusal before forwarding: code ("400") in the client's form (in
 * clear, in TLS, a WebSocket message and Close, or an HTTP answer), then
 * our end of the stream. 0 if it all went out. */
int handshake_refuse(struct session *s, int code, const char *why);
/* The backend is connected: tunes its socket, builds the PROXY header,
 * moves to FLUSH and writes. As handshake_flush(). */
struct stage_res handshake_connected(struct session *s);
/* FLUSH: "200" to the client, the PROXY header and the leftover to the
 * backend. DONE once all is out (forward), WAIT while a socket is full,
 * END when a write failed. */
struct stage_res handshake_flush(struct session *s);

#endif
