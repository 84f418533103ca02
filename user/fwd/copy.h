/* SPDX-License-Identifier: MIT */
#ifndef SG_FWD_COPY_H
#define SG_FWD_COPY_H

#include <stdint.h>

#include "fwd/fwd.h"

/* read/write through a --buffer-sized buffer a direction: the last
 * resort, and in mode auto the first stage of every session. */
extern const struct fwd_ops fwd_copy_ops;

/* What mode auto's promotion rule (fwd/path.c) needs to know of a copy
 * session, and keeps there between its checks. */
enum copy_state {
	COPY_HALF_CLOSED, /* a side sent FIN: it ends on copy */
	COPY_BUSY,	  /* bytes in its buffers */
	COPY_EMPTY,	  /* buffers empty: splice may take it */
	COPY_QUIET,	  /* and no skb half read: sockmap may take it */
};

struct copy_promo {
	unsigned checks;     /* promotion checks so far */
	unsigned seeks;	     /* of them, with seek buffers */
	uint64_t last_total; /* bytes moved at the last check */
	uint64_t last_ns;    /* and its time */
};

enum copy_state copy_state(const struct session *s);
struct copy_promo *copy_promo(struct session *s);
/*
 * Gives both directions COPY_SEEK_BUF-sized read buffers (their bytes
 * move along), so that a read takes all its socket holds and the stream
 * can become COPY_QUIET. 0, or -1: over the worker's budget (shared with
 * sockmap's episodes) or out of memory.
 */
int copy_seek_boundary(struct session *s);

#endif
