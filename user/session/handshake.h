/* SPDX-License-Identifier: MIT */
#ifndef SG_HANDSHAKE_H
#define SG_HANDSHAKE_H

#include "core/addr.h"

struct worker;

/*
 * Starts a session on an accepted client socket (the fd is closed when
 * that fails): read the token line, have session/backend.c connect, answer, then
 * hand both sockets to fwd/path.c.
 */
void handshake_accept(struct worker *w, int fd, const union sg_addr *peer);
/*
 * Complete clients must not wait behind slow ones: ends the worker's
 * oldest handshake in progress with 400 and frees its slot at once. With
 * young 0, only one that has taken HANDSHAKE_EVICT_AGE_MS already. 1 if
 * one was ended.
 */
int handshake_evict(struct worker *w, int young);
#define HANDSHAKE_EVICT_AGE_MS 100

#endif
