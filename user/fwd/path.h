/* SPDX-License-Identifier: MIT */
#ifndef SG_PATH_H
#define SG_PATH_H

#include <stddef.h>
#include <stdint.h>

#include "fwd/fwd.h"
#include "fwd/sockmap/sockmap.h"

struct evl_fd;
struct gateway;
struct session;
struct worker;

/*
 * The path a session's bytes take (sockmap, splice, copy), and when it
 * moves: the one place that knows the forwarders.
 *
 * Chooses the start-up path for gw->conf.mode and logs why; loads the
 * BPF side when the mode may use it (on_event: its ring buffer's
 * reports, from the main thread). Exits on --mode sockmap failing.
 */
void path_choose(struct gateway *gw, sockmap_event_fn on_event);
/* The size of a session object: with room for a forwarder's tail. */
size_t path_session_size(const struct gateway *gw);

/* The handshake is over and nothing is left in its buffers: a path takes
 * s (falling back down the paths). 0, or -1: none could (no fds or
 * memory). Then path_io(s, NULL, 0) moves what is waiting. */
int path_start(struct session *s);
/* A FORWARD session's socket event (w NULL: the first pump), or its
 * timer: what its forwarder reports (session/life.c acts). */
struct fwd_res path_io(struct session *s, struct evl_fd *w, uint32_t events);
struct fwd_res path_timer(struct session *s);
/* A kernel report for socket cookie, on its session's worker: the
 * session it concerns and its forwarder's report in r, or NULL. */
struct session *path_event(struct worker *w, uint64_t cookie,
			   struct fwd_res *r);
/* Bytes moved each way so far, the kernel's counters included. */
void path_counts(const struct session *s, uint64_t *up, uint64_t *down);
/* The name of the path a forwarding session takes ("sockmap"...). */
const char *path_name(const struct session *s);
/* Bytes a forwarding session holds in user space or on their way inside
 * the kernel, that closing it now would lose: 1, or 0. */
int path_buffered(const struct session *s);
/* A FORWARD session ends: its forwarder stops, and adds what the kernel
 * moved to the session's counts. The sockets are the caller's. */
void path_stop(struct session *s);

#endif
