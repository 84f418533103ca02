/* SPDX-License-Identifier: MIT */
#ifndef SG_LIFE_H
#define SG_LIFE_H

#include <stdint.h>

#include "core/addr.h"
#include "session/session.h"

struct worker;

/*
 * Starts a session on an accepted client socket (the fd is closed when
 * that fails, reset when its address is over --max-conns-per-ip): read
 * the token line, connect, answer, forward.
 */
void session_accept(struct worker *w, int fd, const union sg_addr *peer);
/*
 * Complete clients must not wait behind slow ones: ends the worker's
 * oldest handshake in progress with 400 and frees its slot at once. With
 * young 0, only one that has taken HANDSHAKE_EVICT_AGE_MS already. 1 if
 * one was ended.
 */
int session_evict(struct worker *w, int young);
#define HANDSHAKE_EVICT_AGE_MS 100
/* A kernel report for socket cookie (sockmap's ring buffer), on the
 * worker of its session. */
void session_kernel_event(struct worker *w, uint64_t cookie);
/* Ends s in any stage: its forwarder stopped, one log line with the
 * path, bytes, age and reason; both sockets closed, with RST when rst. */
void session_end(struct session *s, const char *reason, int rst);

#endif
