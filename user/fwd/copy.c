// SPDX-License-Identifier: MIT
/*
 * read/write forwarder: the last resort, and in mode auto the first
 * stage of every session and the lasting one of idle and chatty ones
 * (fwd/promote.h). Short sessions end here without the sockmap's map
 * updates (12 bpf() calls and a psock set up and torn down); fwd/path.c
 * moves the streams (.ready).
 *
 * No buffers while idle: every session reads into its worker's scratch
 * buffer (--buffer bytes) and writes at once; a direction takes a buffer
 * of its own only for what its peer did not take, and gives it back once
 * that is out. An idle session is this struct and its session.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/sock.h"
#include "fwd/copy.h"
#include "fwd/promote.h"
#include "fwd/stream.h"
#include "daemon/gateway.h"
#include "session/session.h"

/*
 * A stream may move to sockmap too (there it cost 0.36-0.46 system
 * CPU-s/GB against splice's 0.76 here: bench/), but only from a read that
 * took all there was: reads of --buffer rarely do when a stream fills the
 * socket. COPY_SEEK_BUF a direction makes them do so.
 */
#define COPY_SEEK_BUF (4u << 20)

struct copy {
	struct stream st;
	struct promo promo;
	/* seek buffers: their size, borrowed from the worker's budget; 0:
	 * none */
	size_t seek_cap;
	struct session *s;
};

static struct copy *copy_of(struct stream_dir *d)
{
	struct stream_dir *d0 = d < d->other ? d : d->other;

	return container_of(d0, struct copy, st.d[0]);
}

/* A dormant session's read filled the buffer: a stream may be starting,
 * and the promotion check looks again (fwd/promote.h). */
static void copy_wake(struct copy *cp)
{
	struct session *s = cp->s;

	promote_wake(&cp->promo, s->bytes_up + s->bytes_down,
		     evl_now(s->w->loop));
	s->promote = PROMOTE_LATER;
	if (evl_timer_start(s->w->loop, &s->timer, PROMOTE_RETRY_NS) < 0)
		s->promote = 0;
}

static ssize_t lazy_in(struct stream_dir *d)
{
	struct copy *cp = copy_of(d);
	uint8_t *scratch = cp->s->w->scratch;
	size_t room;
	ssize_t n;

	/* an event for the other direction pumps this one too: its src,
	 * found empty, has had no event since (level-triggered epoll tells
	 * when it has bytes). An edge may hold bytes epoll cannot see. */
	if (d->in_wait && !(d->edge && d->edge_src)) {
		errno = EAGAIN;
		return -1;
	}
	if (!d->buf) {
		d->buf = scratch;
		d->off = 0;
	}
	room = rw_room(d);
	n = rw_in(d);
	if (n > 0) {
		cp->promo.reads++;
		if ((size_t)n == room && cp->s->promote == PROMOTE_DORMANT)
			copy_wake(cp);
	} else if (d->buf == scratch) {
		d->buf = NULL;
	}
	return n;
}

/* Writes; what the peer did not take of the scratch buffer moves to a
 * buffer of the direction's own, which goes once it is empty. */
static ssize_t lazy_out(struct stream_dir *d)
{
	uint8_t *scratch = copy_of(d)->s->w->scratch, *own;
	ssize_t n = rw_out(d);
	size_t left = d->fill - (n > 0 ? (size_t)n : 0);
	int err = errno;

	if (d->buf == scratch && left) {
		own = malloc(d->cap);
		if (!own) {
			errno = ENOMEM;
			return -1;
		}
		memcpy(own, d->buf + d->off, left);
		d->buf = own;
		d->off = 0;
		d->owned = 1;
	} else if (!left && (d->buf == scratch || d->owned)) {
		if (d->owned)
			free(d->buf);
		d->buf = NULL;
		d->owned = 0;
		d->off = 0;
	}
	errno = err;
	return n;
}

static const struct stream_chan lazy_chan = {
	.in = lazy_in,
	.out = lazy_out,
};

/* Frees a direction's own buffer. */
static void drop_own(struct stream_dir *d)
{
	if (d->owned)
		free(d->buf);
	d->owned = 0;
	d->buf = NULL;
}

/* Both buffers empty, both directions open. */
static int idle_buffers(const struct stream *st)
{
	return !st->d[0].fill && !st->d[1].fill && !st->d[0].eof &&
	       !st->d[1].eof;
}

/*
 * idle_buffers(), and no part of an skb read; the counts the sockmap
 * forwarder takes as its bases fit its fields. The verdict is given skbs
 * whole: of one that a read took part of, the part already forwarded
 * would go again, which its repeat check does not catch when more skbs
 * wait behind (a 64 MiB transfer came corrupted). A read that got less
 * than it asked, or nothing, took all there was; else only an empty
 * queue tells.
 */
static enum fwd_ready copy_ready(const struct session *s)
{
	const struct copy *cp = s->fwd;
	const struct stream *st = &cp->st;
	int unread;

	if (st->d[0].eof || st->d[1].eof)
		return FWD_HALF_CLOSED;
	if (!idle_buffers(st))
		return FWD_BUSY;
	if (s->bytes_up + s->line_len >= UINT32_MAX ||
	    s->bytes_down >= UINT32_MAX)
		return FWD_EMPTY;
	for (int i = 0; i < 2; i++)
		if (!st->d[i].whole &&
		    (sock_unread(st->d[i].src->fd, &unread) < 0 || unread))
			return FWD_EMPTY;
	return FWD_QUIET;
}

static struct promo *copy_promo(struct session *s)
{
	return &((struct copy *)s->fwd)->promo;
}

/*
 * Gives both directions COPY_SEEK_BUF-sized read buffers (their bytes
 * move along), so that a read takes all its socket holds and the stream
 * can become FWD_QUIET.
 */
static int copy_seek(struct session *s)
{
	struct copy *cp = s->fwd;
	uint8_t *big;

	if (cp->seek_cap)
		return 0;
	if (!budget_take(&s->w->bufs, 2 * (size_t)COPY_SEEK_BUF))
		return -1;
	big = malloc(2 * (size_t)COPY_SEEK_BUF);
	if (!big) {
		budget_give(&s->w->bufs, 2 * (size_t)COPY_SEEK_BUF);
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		struct stream_dir *d = &cp->st.d[i];
		uint8_t *b = big + (size_t)i * COPY_SEEK_BUF;

		if (d->fill)
			memcpy(b, d->buf + d->off, d->fill);
		drop_own(d);
		d->buf = b;
		d->off = 0;
		d->cap = COPY_SEEK_BUF;
	}
	cp->seek_cap = 2 * (size_t)COPY_SEEK_BUF;
	return 0;
}

static int copy_start(struct session *s)
{
	struct copy *cp = malloc(sizeof(*cp));

	if (!cp)
		return -1;
	memset(&cp->promo, 0, sizeof(cp->promo));
	cp->seek_cap = 0;
	cp->s = s;
	stream_setup(&cp->st, &lazy_chan, s, (size_t)s->w->gw->conf.buffer);
	cp->st.d[0].whole = s->hs_whole;
	cp->st.d[1].whole = 1; /* nothing read from the backend yet */
	if (session_setup(s) && s->setup->edge)
		stream_take_edge(&cp->st, s->setup->edge);
	s->fwd = cp;
	return 0;
}

static struct fwd_res copy_io(struct session *s, struct evl_fd *w,
			      uint32_t events)
{
	return stream_io(s, &((struct copy *)s->fwd)->st, w, events);
}

static int copy_buffered(const struct session *s)
{
	return stream_buffered(&((const struct copy *)s->fwd)->st) > 0;
}

static void copy_stop(struct session *s)
{
	struct copy *cp = s->fwd;

	if (cp->seek_cap) {
		budget_give(&s->w->bufs, cp->seek_cap);
		free(cp->st.d[0].buf);
		/* a promoted session lives on among others: core/trim.h */
		trim_note(&s->w->trim, s->w->loop, cp->seek_cap);
	}
	for (int i = 0; i < 2; i++)
		drop_own(&cp->st.d[i]);
	stream_release(&cp->st);
	free(cp);
	s->fwd = NULL;
}

const struct fwd_ops fwd_copy_ops = {
	.name = "copy",
	.mode = MODE_COPY,
	.start = copy_start,
	.io = copy_io,
	.buffered = copy_buffered,
	.ready = copy_ready,
	.promo = copy_promo,
	.seek = copy_seek,
	.stop = copy_stop,
};
