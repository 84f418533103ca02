// SPDX-License-Identifier: MIT
/*
 * splice(2) forwarder: socket -> pipe -> socket, a pipe per direction, so
 * payload pages move between the sockets without a copy to user space.
 * Never SPLICE_F_MORE: it corks the output and delays small messages.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "edge/edge.h"
#include "fwd/splice.h"
#include "fwd/stream.h"
#include "daemon/gateway.h"
#include "session/session.h"

#define SPLICE_FLAGS (SPLICE_F_MOVE | SPLICE_F_NONBLOCK)

/*
 * Kernel TLS gives splice application data only: another record (an
 * alert such as close_notify) fails it with EINVAL or EIO, and libssl
 * reads it (recvmsg with its record type) and says what it means.
 */
static ssize_t ktls_record(struct stream_dir *d)
{
	char b[4096];
	size_t room = d->cap - d->fill;
	ssize_t n = edge_read(d->edge, b, room < sizeof(b) ? room : sizeof(b));

	if (n > 0 && write(d->pipe[1], b, (size_t)n) != n) {
		errno = EIO;
		return -1;
	}
	return n;
}

static ssize_t splice_in(struct stream_dir *d)
{
	ssize_t n = splice(d->src->fd, NULL, d->pipe[1], NULL, d->cap - d->fill,
			   SPLICE_FLAGS);

	if (n < 0 && (errno == EINVAL || errno == EIO) && d->edge &&
	    d->edge_src)
		return ktls_record(d);
	return n;
}

static ssize_t splice_out(struct stream_dir *d)
{
	return splice(d->pipe[0], NULL, d->dst->fd, NULL, d->fill,
		      SPLICE_FLAGS);
}

static const struct stream_chan splice_chan = {
	.in = splice_in,
	.out = splice_out,
	.ambiguous_eagain = 1,
};

static void close_pipes(struct stream *st)
{
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++)
			if (st->d[i].pipe[j] >= 0)
				close(st->d[i].pipe[j]);
}

static int splice_start(struct session *s)
{
	int want = s->w->gw->conf.buffer, size = want;
	struct stream *st = malloc(sizeof(*st));

	if (!st)
		return -1;
	stream_setup(st, &splice_chan, s, 0);
	for (int i = 0; i < 2; i++) {
		if (pipe2(st->d[i].pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
			int err = errno;

			close_pipes(st);
			free(st);
			errno = err;
			return -1;
		}
		/* the kernel rounds up to a power of two pages; it may also
		 * refuse (pipe-user-pages-soft): keep what we got then */
		size = fcntl(st->d[i].pipe[1], F_SETPIPE_SZ, want);
		if (size < 0)
			size = fcntl(st->d[i].pipe[1], F_GETPIPE_SZ);
		st->d[i].cap = size > 0 ? (size_t)size : 4096;
	}
	/* kernel TLS: the kernel encrypts and decrypts, libssl only sends
	 * close_notify and reads the records that are no data */
	if (session_setup(s) && s->setup->edge)
		stream_take_edge(st, s->setup->edge);
	s->fwd = st;
	return 0;
}

static struct fwd_res splice_io(struct session *s, struct evl_fd *w,
				uint32_t events)
{
	return stream_io(s, s->fwd, w, events);
}

static int splice_buffered(const struct session *s)
{
	return stream_buffered(s->fwd) > 0;
}

static void splice_stop(struct session *s)
{
	struct stream *st = s->fwd;

	if (!st)
		return;
	close_pipes(st);
	stream_release(st);
	free(st);
	s->fwd = NULL;
}

const struct fwd_ops fwd_splice_ops = {
	.name = "splice",
	.mode = MODE_SPLICE,
	.start = splice_start,
	.io = splice_io,
	.buffered = splice_buffered,
	.stop = splice_stop,
};
