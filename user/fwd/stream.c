// SPDX-License-Identifier: MIT
/* The pump shared by the user-space forwarders, and the read/write
 * channel. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/loop.h"
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
			/* half-close: everything from src is out, pass on FIN;
			 * the last one is the close's (both receive queues are
			 * empty at EOF, so close sends FIN, not RST) */
			if (!(d->other && d->other->done) &&
			    shutdown(d->dst->fd, SHUT_WR) < 0 &&
			    errno != ENOTCONN)
				return -2;
			d->done = 1;
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
		if (d->dst == w && d->fill > 0 && d->out_wait)
			m |= EPOLLOUT;
	}
	return m;
}

struct fwd_res stream_dir_failed(int i, int r, int err)
{
	/* up (0) reads the client and writes the backend */
	return fwd_reset(r == -1 ? i : 1 - i, r == -1 ? "read" : "write", err);
}

size_t stream_buffered(const struct stream *st)
{
	return st->d[0].fill + st->d[1].fill;
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
	for (int i = 0; i < 2; i++) {
		int r = stream_dir_pump(st->chan, &st->d[i]);

		if (r < 0)
			return stream_dir_failed(i, r, errno);
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

static ssize_t rw_in(struct stream_dir *d)
{
	size_t room = rw_room(d);
	ssize_t n = read(d->src->fd, d->buf + d->off + d->fill, room);

	d->drained = n > 0 && (size_t)n < room;
	/* a read that took everything there was ended at an skb's end */
	d->whole = d->drained || (n < 0 && errno == EAGAIN);
	return n;
}

ssize_t rw_out(struct stream_dir *d)
{
	ssize_t n = send(d->dst->fd, d->buf + d->off, d->fill, MSG_NOSIGNAL);

	if (n > 0)
		d->off += (size_t)n;
	return n;
}

const struct stream_chan rw_chan = {
	.in = rw_in,
	.out = rw_out,
};
