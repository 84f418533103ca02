/* SPDX-License-Identifier: MIT */
#ifndef SG_HANDSHAKE_H
#define SG_HANDSHAKE_H

#include "addr.h"

struct worker;

/*
 * Starts a session on an accepted client socket (the fd is closed when
 * that fails): read the token line, have backend.c connect, answer, then
 * hand both sockets to relay.c.
 */
void handshake_accept(struct worker *w, int fd, const union sg_addr *peer);

#endif
