// SPDX-License-Identifier: MIT
/* read/write forwarder: the last resort, a `buffer`-sized buffer a way. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fwd.h"
#include "fwd_stream.h"
#include "gateway.h"
#include "session.h"

size_t copy_room(struct stream_dir *d)
{
	if (d->fill == 0) {
		d->off = 0;
	} else if (d->off + d->fill == d->cap) {
		memmove(d->buf, d->buf + d->off, d->fill);
		d->off = 0;
	}
	return d->cap - d->off - d->fill;
}

static ssize_t copy_in(struct stream_dir *d)
{
	size_t room = copy_room(d);
	ssize_t n = read(d->src->fd, d->buf + d->off + d->fill, room);

	d->drained = n > 0 && (size_t)n < room;
	return n;
}

ssize_t copy_out(struct stream_dir *d)
{
	ssize_t n = send(d->dst->fd, d->buf + d->off, d->fill, MSG_NOSIGNAL);

	if (n > 0)
		d->off += (size_t)n;
	return n;
}

const struct stream_chan copy_chan = {
	.in = copy_in,
	.out = copy_out,
};

static int copy_start(struct session *s)
{
	size_t cap = (size_t)s->w->gw->conf.buffer;
	struct stream *st = malloc(sizeof(*st) + 2 * cap);

	if (!st)
		return -1;
	stream_setup(st, &copy_chan, s, cap);
	st->d[0].buf = (uint8_t *)(st + 1);
	st->d[1].buf = st->d[0].buf + cap;
	s->fwd = st;
	return 0;
}

static void copy_io(struct session *s, struct ev_io *w, uint32_t events)
{
	stream_io(s, s->fwd, w, events);
}

static void copy_stop(struct session *s)
{
	free(s->fwd);
	s->fwd = NULL;
}

const struct fwd_ops fwd_copy_ops = {
	.name = "copy",
	.mode = MODE_COPY,
	.start = copy_start,
	.io = copy_io,
	.stop = copy_stop,
};
