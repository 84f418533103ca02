// SPDX-License-Identifier: MIT
/*
 * read/write forwarder, a `buffer`-sized buffer a way: the last resort,
 * and in mode auto the first stage of every session. Short sessions end
 * here without the sockmap's map updates (12 bpf() calls and a psock set
 * up and torn down); one that lasts --promote-after moves to sockmap when
 * quiet, or to splice when it keeps moving bytes (promote_cb).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fwd.h"
#include "fwd_stream.h"
#include "gateway.h"
#include "session.h"

/* a session found busy at its promotion time is looked at again after
 * 10 ms, doubling to 1.28 s: a bulk stream that never pauses costs a few
 * checks a second */
#define PROMOTE_RETRY_NS 10000000ull
#define PROMOTE_RETRY_MAX_SHIFT 7
/* moving at least this many bytes a second (64 KiB in 10 ms) is busy */
#define BUSY_BYTES_PER_S (6553600ull)
/*
 * A stream moves to sockmap too (there it cost 0.36-0.46 system CPU-s/GB
 * against splice's 0.76 here: bench/), but only from a read that took
 * all there was: reads of --buffer rarely do when a stream fills the
 * socket. So a stream gets SEEK_BUF a direction for up to SEEK_CHECKS
 * checks, and moves to splice if none found its sockets quiet.
 */
#define SEEK_BUF (4u << 20)
#define SEEK_BUDGET (32u << 20)
#define SEEK_CHECKS 8

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
	/* a read that took everything there was ended at an skb's end */
	d->whole = d->drained || (n < 0 && errno == EAGAIN);
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

/* Both buffers empty, both directions open: splice can take over. */
static int copy_idle_buffers(const struct stream *st)
{
	return !st->d[0].fill && !st->d[1].fill && !st->d[0].eof &&
	       !st->d[1].eof;
}

/*
 * copy_idle_buffers(), and no part of an skb read; the counts the
 * sockmap forwarder takes as its bases fit its fields. The verdict is
 * given skbs whole: of one that a read took part of, the part already
 * forwarded would go again, which its repeat check does not catch when
 * more skbs wait behind (a 64 MiB transfer came corrupted). A read that
 * got less than it asked, or nothing, took all there was; else only an
 * empty queue tells.
 */
static int copy_quiet(const struct session *s, const struct stream *st)
{
	int unread;

	if (!copy_idle_buffers(st) || s->bytes_up + s->line_len >= UINT32_MAX ||
	    s->bytes_down >= UINT32_MAX)
		return 0;
	for (int i = 0; i < 2; i++)
		if (!st->d[i].whole &&
		    (ioctl(st->d[i].src->fd, FIONREAD, &unread) < 0 || unread))
			return 0;
	return 1;
}

/*
 * Gives a stream's directions SEEK_BUF-sized buffers (their bytes move
 * along), so that a read takes all there is. 0, or -1: over the worker's
 * budget or out of memory.
 */
static int seek_boundary(struct session *s, struct stream *st)
{
	uint8_t *big;

	if (st->seek_cap)
		return 0;
	if (s->w->sm_bufs + 2 * SEEK_BUF > SEEK_BUDGET ||
	    !(big = malloc(2 * (size_t)SEEK_BUF)))
		return -1;
	for (int i = 0; i < 2; i++) {
		struct stream_dir *d = &st->d[i];
		uint8_t *b = big + (size_t)i * SEEK_BUF;

		memcpy(b, d->buf + d->off, d->fill);
		d->buf = b;
		d->off = 0;
		d->cap = SEEK_BUF;
	}
	st->seek_cap = 2 * (size_t)SEEK_BUF;
	s->w->sm_bufs += st->seek_cap;
	return 0;
}

/*
 * Mode auto, once a session has lasted --promote-after, and every check
 * after: sessions move to sockmap (the kernel forwards; an idle one keeps
 * 232 bytes here) as soon as copy_quiet() allows. A session that moved
 * at least BUSY_BYTES_PER_S since the last check is a stream: it seeks
 * an skb boundary first (seek_boundary), and moves to splice when that
 * fails. The first check only starts the measurement. A mode-sockmap
 * session that began on copy (PROMOTE_SOON) waits for copy_quiet().
 */
static void promote_cb(struct ev_loop *loop, struct ev_timer *t)
{
	struct session *s = container_of(t, struct session, timer);
	struct stream *st = s->fwd;
	uint64_t now = ev_now(loop), total = s->bytes_up + s->bytes_down;
	uint64_t moved = total - st->last_total, dt = now - st->last_ns;
	unsigned shift;

	st->last_total = total;
	st->last_ns = now;
	if (st->d[0].eof || st->d[1].eof) {
		s->promote = 0; /* half closed: it ends here */
		return;
	}
	if ((s->promote == PROMOTE_SOON || st->checks > 0) &&
	    copy_quiet(s, st)) {
		session_promote(s, &fwd_sockmap_ops);
		return;
	}
	if (s->promote == PROMOTE_LATER && st->checks > 0 &&
	    moved * 1000000000ull >= BUSY_BYTES_PER_S * dt) {
		if ((st->seeks++ >= SEEK_CHECKS || seek_boundary(s, st) < 0) &&
		    copy_idle_buffers(st)) {
			session_promote(s, &fwd_splice_ops);
			return;
		}
		/* seeking: look again soon */
		ev_timer_start(loop, t, PROMOTE_RETRY_NS);
		return;
	}
	shift = st->checks < PROMOTE_RETRY_MAX_SHIFT ? st->checks
						     : PROMOTE_RETRY_MAX_SHIFT;
	st->checks++;
	ev_timer_start(loop, t, PROMOTE_RETRY_NS << shift);
}

static int copy_start(struct session *s)
{
	size_t cap = (size_t)s->w->gw->conf.buffer;
	struct stream *st = malloc(sizeof(*st) + 2 * cap);

	if (!st)
		return -1;
	stream_setup(st, &copy_chan, s, cap);
	st->d[0].buf = (uint8_t *)(st + 1);
	st->d[1].buf = st->d[0].buf + cap;
	st->d[0].whole = s->hs_whole;
	st->d[1].whole = 1; /* nothing read from the backend yet */
	s->fwd = st;
	if (s->promote) {
		ev_timer_init(&s->timer, promote_cb);
		if (ev_timer_start(s->w->loop, &s->timer,
				   s->promote == PROMOTE_SOON
					   ? PROMOTE_RETRY_NS
					   : s->w->gw->conf.promote_ns) < 0)
			s->promote = 0;
	}
	return 0;
}

static void copy_io(struct session *s, struct ev_io *w, uint32_t events)
{
	stream_io(s, s->fwd, w, events);
}

static void copy_stop(struct session *s)
{
	struct stream *st = s->fwd;

	ev_timer_stop(s->w->loop, &s->timer);
	if (st->seek_cap) {
		s->w->sm_bufs -= st->seek_cap;
		free(st->d[0].buf);
	}
	free(s->fwd);
	s->fwd = NULL;
	/* a promoted session lives on among others: see session_freed() */
	session_freed(s->w, 2 * (size_t)s->w->gw->conf.buffer);
}

const struct fwd_ops fwd_copy_ops = {
	.name = "copy",
	.mode = MODE_COPY,
	.start = copy_start,
	.io = copy_io,
	.stop = copy_stop,
};
