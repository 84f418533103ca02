/* SPDX-License-Identifier: MIT */
#ifndef SG_FWD_H
#define SG_FWD_H

#include <stdint.h>

#include "conf.h"

struct session;
struct ev_io;
struct gateway;

/*
 * A forwarder moves a session's bytes once the handshake is done and no
 * byte of either socket is left in a user-space buffer. The session code
 * does not know which one runs. A forwarder ends the session itself with
 * session_close() (both directions finished) or session_reset() (an error).
 */
struct fwd_ops {
	const char *name;
	enum fwd_mode mode;
	/* Once at start-up; 0, or -1 with a reason logged (not available). */
	int (*init)(struct gateway *gw);
	void (*fini)(struct gateway *gw);
	/*
	 * Sets up state for s, moves no bytes yet. Returns 0, or -1 with
	 * errno set when this session cannot use it (fds or memory
	 * exhausted): the caller falls back to the next forwarder.
	 */
	int (*start)(struct session *s);
	/* An event on s->cli or s->be (w says which); w NULL: first call. */
	void (*io)(struct session *s, struct ev_io *w, uint32_t events);
	/* Releases the forwarder's state; the caller closes the sockets. */
	void (*stop)(struct session *s);
};

/* bytes the sockmap forwarder keeps after each session's struct */
extern const size_t fwd_sockmap_tail;
extern const struct fwd_ops fwd_sockmap_ops;
struct worker;
/* The verdict started or ended a congestion episode of socket cookie. */
void fwd_sockmap_event(struct worker *w, uint64_t cookie);
extern const struct fwd_ops fwd_splice_ops;
extern const struct fwd_ops fwd_copy_ops;

#endif
