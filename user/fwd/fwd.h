/* SPDX-License-Identifier: MIT */
#ifndef SG_FWD_H
#define SG_FWD_H

#include <stddef.h>
#include <stdint.h>

#include "fwd/mode.h"
#include "fwd/promote.h"

struct session;
struct evl_fd;

/* What a forwarder reports after a call (session/life.c acts on it). */
enum fwd_act {
	FWD_CONTINUE, /* more to come: it waits for events or its timer */
	FWD_DONE,     /* both directions finished: close with FIN */
	FWD_RESET,    /* an error: reset both peers */
};

struct fwd_res {
	uint8_t act;	  /* enum fwd_act */
	int8_t side;	  /* reset: 0 the client's socket, 1 the backend's,
			   * -1 neither (the gateway's own failure) */
	int err;	  /* reset: errno, or 0 */
	const char *what; /* reset: what failed ("read", "epoll_ctl failed") */
};

#define FWD_OK ((struct fwd_res){ .act = FWD_CONTINUE })
#define FWD_CLOSE ((struct fwd_res){ .act = FWD_DONE })

static inline struct fwd_res fwd_reset(int side, const char *what, int err)
{
	return (struct fwd_res){
		.act = FWD_RESET, .side = (int8_t)side, .err = err, .what = what
	};
}

/*
 * A forwarder moves a session's bytes once the handshake is done and no
 * byte of either socket is left in a user-space buffer. It is a leaf: it
 * reports what happened: fwd/path.c, the one file that knows the
 * forwarders, moves the session between them, and session/life.c ends
 * it. It may arm s->timer (whose callback is life.c's) but not change
 * its callback.
 */
struct fwd_ops {
	const char *name;
	enum fwd_mode mode;
	/* bytes of fixed state it keeps in the session's allocation
	 * (struct session.tail), so an idle session costs one object */
	size_t tail;
	/*
	 * Sets up state for s, moves no bytes yet. Returns 0, or -1 with
	 * errno set when this session cannot use it (fds or memory
	 * exhausted): fwd/path.c falls back to the next path.
	 */
	int (*start)(struct session *s);
	/* An event on s->cli or s->be (w says which); w NULL: first call. */
	struct fwd_res (*io)(struct session *s, struct evl_fd *w,
			     uint32_t events);
	/* s->timer expired; NULL if it never arms it. */
	struct fwd_res (*timer)(struct session *s);
	/* The kernel reported something of socket cookie (sockmap's ring
	 * buffer); NULL if it has no kernel side. */
	struct fwd_res (*event)(struct session *s, uint64_t cookie);
	/* Bytes moved so far each way, the kernel's included; NULL: the
	 * session's own counts are all. */
	void (*counts)(const struct session *s, uint64_t *up, uint64_t *down);
	/* Does it hold bytes that closing now would lose? NULL: never. */
	int (*buffered)(const struct session *s);
	/*
	 * Mode auto's promotion (fwd/promote.h), for a forwarder sessions
	 * start on and leave (copy); NULL for the others. ready: how ready
	 * s is to move; promo: the rule's state, kept in the forwarder's;
	 * seek: larger reads, so that a stream can become FWD_QUIET (0, or
	 * -1: over the worker's budget or out of memory).
	 */
	enum fwd_ready (*ready)(const struct session *s);
	struct promo *(*promo)(struct session *s);
	int (*seek)(struct session *s);
	/* Releases its state and adds what the kernel moved to s's byte
	 * counts; session/life.c closes the sockets. */
	void (*stop)(struct session *s);
};

#endif
