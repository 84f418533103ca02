/* SPDX-License-Identifier: MIT */
#ifndef SG_SM_COPY_H
#define SG_SM_COPY_H

#include <linux/tcp.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "fwd/fwd.h"
#include "fwd/stream.h"
#include "session/session.h"
#include "sockmap_bpf.h"

/*
 * The sockmap forwarder's user-space part: a direction whose bytes go
 * through user space, in a congestion episode or because its socket
 * never joined the verdict map (raw). fwd/sockmap/forward.c decides when;
 * this moves the bytes and keeps the shared counters (struct sg_flow).
 */

/*
 * An episode copies with a large buffer: read and write a MiB at a time,
 * not 16 KiB (--buffer). Measured on 2 GB streams copied wholly in
 * episodes (before episodes ended as they do now): 21-24 Gbit/s and
 * 0.5-0.6 system CPU-s/GB, against 12-14 and 0.8-0.9 with 16 KiB. They
 * borrow from the worker's budget (core/budget.h); past it, episodes get
 * --buffer bytes.
 */
#define SM_EPISODE_BUF (1u << 20)

/* A direction in an episode (wait or copy), or a raw one. */
struct episode {
	struct stream_dir d;
	struct sm_sess *st;
	struct sg_flow *f; /* the source socket's flow; NULL: raw, src never
			    * had the verdict, plain reads are safe */
	int i;		   /* its source socket */
	int eof_early;	/* read 0 while bytes passed to us are on their way */
	uint32_t ep;	/* the episode it copies; 0: waiting for the
			* redirected bytes to reach the peer */
	uint8_t stale;	/* a newer episode began: wait again when empty */
	uint8_t over;	/* the verdict ended the episode */
	uint8_t big;	/* its buffer is borrowed from the worker's budget */
	int64_t wait_b; /* waiting: the backlog at the last look */
	uint64_t rpos;	/* passed bytes read, repeats included (sg_flow) */
};

/* Kept small: one per idle session, in the session's own allocation
 * (struct session.tail). The poll
 * timer (FIN drain, resume) is the session's, free once the handshake
 * is over. */
struct sm_sess {
	uint64_t ck[2];	     /* cookies: 0 client, 1 backend */
	uint64_t tx_base[2]; /* bytes in each socket's TCP at hand-off */
	uint32_t rx_pre[2];  /* bytes user space read from each socket */
	uint8_t fin[2];	     /* FIN received on socket i */
	uint8_t shut[2];     /* our write side of socket i is shut */
	uint8_t episodes[2]; /* copied from socket i (mod 256): the test
				* hook acts in the first */
	uint8_t backend_raw; /* the backend never joined the verdict map */
	uint8_t polls;
	struct episode *copy[2]; /* i -> 1-i in an episode, or raw */
};

static inline struct session *sess_of(struct sm_sess *st)
{
	return container_of((unsigned char *)st, struct session, tail);
}

static inline struct evl_fd *sock_of(struct session *s, int i)
{
	return i == 0 ? &s->cli : &s->be;
}

static inline const char *side_name(int i)
{
	return i == 0 ? "client" : "backend";
}

/* Copy state for direction i: an episode's (f) or a raw one (NULL);
 * NULL when out of memory. */
struct episode *episode_new(struct sm_sess *st, int i, struct sg_flow *f);
/* Frees direction i's copy state, and its share of the budget. */
void episode_free(struct sm_sess *st, int i);
/* The verdict ended direction i's episode and its bytes are out. */
void episode_end(struct sm_sess *st, int i);
/* Moves a copying direction: FWD_OK, or the reset its failure means. */
struct fwd_res episode_pump(struct sm_sess *st, int i);

#endif
