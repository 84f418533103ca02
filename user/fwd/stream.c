// SPDX-License-Identifier: MIT
/* The pump shared by the user-space forwarders, and the read/write
 * channel. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/loop.h"
#include "edge/edge.h"
#include "fwd/stream.h"
#include "daemon/gateway.h"
#include "session/session.h"

/* syscalls per direction per wake-up before yielding to other sessions */
#define PUMP_BUDGET 32

void stream_setup(struct stream *st, const struct stream_chan *chan,
		  struct session *s, size_t cap)
{
	memset(st->d, 0, sizeof(st->d));
	st->chan = chan;
	st->edge = NULL;
	st->d[0].src = &s->cli;
	st->d[0].dst = &s->be;
	st->d[0].bytes = &s->bytes_up;
	st->d[1].src = &s->be;
	st->d[1].dst = &s->cli;
	st->d[1].bytes = &s->bytes_down;
	for (int i = 0; i < 2; i++) {
		st->d[i].cap = cap;
		st->d[i].pipe[0] = st->d[i].pipe[1] = -1;
		st->d[i].other = &st->d[1 - i];
	}
}

void stream_take_edge(struct stream *st, struct edge *e)
{
	st->edge = e;
	st->d[0].edge = st->d[1].edge = e;
	st->d[0].edge_src = 1;
	st->d[0].unbounded = 1;
}

void stream_release(struct stream *st)
{
	edge_free(st->edge);
	st->edge = NULL;
}

/* Passes src's EOF on to dst: FIN, or the edge's end (a WebSocket
 * Close, TLS's close_notify). 0 done; 1 wait for EPOLLOUT; -1 failed. */
static int pass_eof(struct stream_dir *d)
{
	if (d->edge && !d->edge_src) {
		if (edge_shut(d->edge) == 0)
			return 0;
		return errno == EAGAIN ? 1 : -1;
	}
	/* the last one is the close's (both receive queues are empty at
	 * EOF, so close sends FIN, not RST) */
	if (!(d->other && d->other->done) &&
	    shutdown(d->dst->fd, SHUT_WR) < 0 && errno != ENOTCONN)
		return -1;
	return 0;
}

/* 0; -1: reading src failed; -2: writing dst failed (errno set). */
int stream_dir_pump(const struct stream_chan *ch, struct stream_dir *d)
{
	int drained = 0;

	for (int budget = PUMP_BUDGET;; budget--) {
		int progress = 0;
		ssize_t n;

		if (budget == 0 && !d->unbounded) {
			/* yield; level-triggered epoll brings us back */
			if (d->fill > 0)
				d->out_wait = 1;
			else
				d->in_wait = 1;
			return 0;
		}
		if (!d->eof && d->fill < d->cap && !drained) {
			d->drained = 0;
			n = ch->in(d);
			if (n > 0) {
				d->fill += (size_t)n;
				/* a short read emptied src: level-triggered
				 * epoll tells when more comes, no EAGAIN read */
				drained = d->drained && !d->unbounded;
				d->in_wait = (uint8_t)drained;
				progress = 1;
			} else if (n == 0) {
				d->eof = 1;
				d->in_wait = 0;
			} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
				d->in_wait = d->fill == 0 ||
					     !ch->ambiguous_eagain;
			} else if (errno != EINTR) {
				return -1;
			}
		}
		if (d->fill > 0) {
			n = ch->out(d);
			if (n > 0) {
				d->fill -= (size_t)n;
				*d->bytes += (uint64_t)n;
				d->out_wait = 0;
				progress = 1;
			} else if (n < 0 &&
				   (errno == EAGAIN || errno == EWOULDBLOCK)) {
				d->out_wait = 1;
			} else if (n < 0 && errno != EINTR) {
				return -2;
			}
		}
		if (d->eof && d->fill == 0 && !d->done) {
			/* half-close: everything from src is out */
			int r = pass_eof(d);

			if (r < 0)
				return -2;
			d->out_wait = (uint8_t)r;
			d->done = r == 0;
		}
		if (!progress)
			return 0;
	}
}

static uint32_t mask_for(const struct stream *st, const struct evl_fd *w)
{
	uint32_t m = 0;

	for (int i = 0; i < 2; i++) {
		const struct stream_dir *d = &st->d[i];

		if (d->src == w && !d->eof && d->in_wait)
			m |= EPOLLIN;
		if (d->dst == w && (d->fill > 0 || (d->eof && !d->done)) &&
		    d->out_wait)
			m |= EPOLLOUT;
	}
	if (st->edge && w == st->d[1].dst)
		m |= edge_events(st->edge);
	return m;
}

struct fwd_res stream_dir_failed(int i, int r, int err)
{
	/* up (0) reads the client and writes the backend */
	return fwd_reset(r == -1 ? i : 1 - i, r == -1 ? "read" : "write", err);
}

size_t stream_buffered(const struct stream *st)
{
	return st->d[0].fill + st->d[1].fill +
	       (st->edge ? edge_queued(st->edge) : 0);
}

/* After a pump: the edge's own output (a pong, a Close), and its end. */
static struct fwd_res edge_after(struct stream *st)
{
	if (edge_flush(st->edge) < 0 && errno != EAGAIN)
		return fwd_reset(0, "write", errno);
	if (edge_finished(st->edge))
		return (struct fwd_res){
			.act = FWD_DONE,
			.what = "WebSocket protocol error: Close sent",
		};
	return FWD_OK;
}

struct fwd_res stream_io(struct session *s, struct stream *st, struct evl_fd *w,
			 uint32_t events)
{
	for (int i = 0; i < 2; i++) {
		struct stream_dir *d = &st->d[i];

		/* EPOLLERR/EPOLLHUP: the syscall tells what went wrong */
		if (w && d->src == w)
			d->in_wait = 0;
		if (w && d->dst == w &&
		    (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			d->out_wait = 0;
	}
	/* a TLS write may wait for EPOLLIN: any client event retries */
	if (st->edge && w == st->d[0].src)
		st->d[1].out_wait = 0;
	for (int i = 0; i < 2; i++) {
		int r = stream_dir_pump(st->chan, &st->d[i]);

		if (r < 0)
			return stream_dir_failed(i, r, errno);
	}
	if (st->edge) {
		struct fwd_res r = edge_after(st);

		if (r.act != FWD_CONTINUE)
			return r;
	}
	if (st->d[0].done && st->d[1].done)
		return FWD_CLOSE;
	if (evl_fd_set(s->w->loop, &s->cli, mask_for(st, &s->cli)) < 0 ||
	    evl_fd_set(s->w->loop, &s->be, mask_for(st, &s->be)) < 0)
		return fwd_reset(-1, "epoll_ctl failed", 0);
	return FWD_OK;
}

/* The read/write channel: a buffer of cap bytes a direction. */
size_t rw_room(struct stream_dir *d)
{
	if (d->fill == 0) {
		d->off = 0;
	} else if (d->off + d->fill == d->cap) {
		memmove(d->buf, d->buf + d->off, d->fill);
		d->off = 0;
	}
	return d->cap - d->off - d->fill;
}

ssize_t rw_in(struct stream_dir *d)
{
	size_t room = rw_room(d);
	ssize_t n;

	if (d->edge && d->edge_src) {
		d->drained = d->whole = 0; /* only EAGAIN says it is empty */
		return edge_read(d->edge, d->buf + d->off + d->fill, room);
	}
	n = read(d->src->fd, d->buf + d->off + d->fill, room);

	d->drained = n > 0 && (size_t)n < room;
	/* a read that took everything there was ended at an skb's end */
	d->whole = d->drained || (n < 0 && errno == EAGAIN);
	return n;
}

ssize_t rw_out(struct stream_dir *d)
{
	ssize_t n = d->edge && !d->edge_src ?
			    edge_write(d->edge, d->buf + d->off, d->fill) :
			    send(d->dst->fd, d->buf + d->off, d->fill,
				 MSG_NOSIGNAL);

	if (n > 0)
		d->off += (size_t)n;
	return n;
}

const struct stream_chan rw_chan = {
	.in = rw_in,
	.out = rw_out,
};
