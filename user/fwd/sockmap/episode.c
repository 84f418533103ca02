// SPDX-License-Identifier: MIT
/*
 * The sockmap forwarder's copy channel (fwd/sockmap/episode.h): reading a socket the
 * verdict passes bytes to, without taking part of an skb the verdict
 * would later see whole, and skipping the repeats it noted.
 */
#include <errno.h>
#include <linux/sockios.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "daemon/gateway.h"
#include "core/log.h"
#include "core/sock.h"
#include "fwd/sockmap/episode.h"
#include "fwd/sockmap/sockmap.h"

/*
 * Tells the verdict how far we are, after writing n bytes to the peer
 * (fill: what is left in the buffer) or skipping a repeat (n 0). Only
 * this thread writes these two; the verdict reads done, then written.
 */
static void publish(struct episode *cp, size_t n, size_t fill)
{
	struct sg_flow *f = cp->f;

	if (!f)
		return;
	__atomic_store_n(&f->written, f->written + n, __ATOMIC_RELAXED);
	__atomic_store_n(&f->done, cp->rpos - fill, __ATOMIC_RELEASE);
}
/*
 * Drops the repeated bytes the verdict passed (bpf/sockmap.bpf.c,
 * repeated()) when the read position reaches them, reading at most
 * *queued; limits *room so that a read stops at the next repeat. skips:
 * the flow's count, read after passed; c: the skips themselves, read
 * after that. 0, or -1 with errno (EAGAIN: wait for more).
 */
static int skip_repeats(struct episode *cp, const struct sg_sock *c,
			uint32_t skips, int *queued, size_t *room)
{
	struct stream_dir *d = &cp->d;
	struct sg_flow *f = cp->f;

	while (f->skips_done < skips) {
		uint32_t k = f->skips_done % SG_SKIPS;
		uint64_t off = c->skip_off[k], end = off + c->skip_len[k];
		ssize_t n;

		if (skips - f->skips_done > SG_SKIPS) {
			errno = EPROTO; /* overwritten before we got there */
			return -1;
		}
		if (cp->rpos < off) {
			if (off - cp->rpos < *room)
				*room = (size_t)(off - cp->rpos);
			return 0;
		}
		while (cp->rpos < end) {
			size_t want = (size_t)(end - cp->rpos);

			if (want > *room)
				want = *room;
			if (want > (size_t)*queued)
				want = (size_t)*queued;
			if (want == 0) {
				errno = EAGAIN;
				return -1;
			}
			/* into the free part of the buffer, not kept */
			n = read(d->src->fd, d->buf + d->off + d->fill, want);
			if (n <= 0) {
				if (n == 0)
					errno = EAGAIN; /* the rest is on its way */
				return -1;
			}
			cp->rpos += (uint64_t)n;
			*queued -= (int)n;
			publish(cp, 0, d->fill);
		}
		__atomic_store_n(&f->skips_done, f->skips_done + 1,
				 __ATOMIC_RELAXED);
	}
	return 0;
}

/*
 * May bytes up to `passed` be read in the episode we copy? `passed` is
 * read before this: an skb of a newer episode is counted there only
 * after `episodes` was raised. Marks the copy stale (a newer episode) or
 * over (the verdict ended ours: it does so only when done == passed)
 * and fails with EAGAIN; 0 when they may.
 */
static int episode_check(struct episode *cp, uint64_t passed)
{
	struct sg_flow *f = cp->f;

	if (__atomic_load_n(&f->episodes, __ATOMIC_ACQUIRE) != cp->ep)
		cp->stale = 1;
	else if (!__atomic_load_n(&f->congested, __ATOMIC_ACQUIRE) &&
		 cp->rpos >= passed)
		cp->over = 1;
	else
		return 0;
	errno = EAGAIN;
	return -1;
}

/*
 * Reading a congested socket. The verdict passes its skbs to the psock's
 * message queue, and recv() reads that queue; but when that queue is
 * empty and the TCP receive queue is not, recv() reads the TCP queue
 * directly, and a partly read skb is later handed to the verdict whole:
 * its first bytes would come twice. So read no more than FIONREAD says
 * the message queue holds (on a sockmap socket it reports that queue),
 * and touch the TCP queue only after the FIN, when no verdict follows.
 */
static ssize_t psock_in(struct stream_dir *d)
{
	struct episode *cp = container_of(d, struct episode, d);
	struct sockmap *sm = sess_of(cp->st)->w->gw->sm;
	struct sg_flow *f = cp->f;
	size_t room = rw_room(d);
	struct sg_sock c = { 0 };
	uint64_t passed = 0;
	uint32_t skips = 0;
	ssize_t n;
	int queued = 0, fin = 0, have_c = 0;

	if (f) {
		passed = __atomic_load_n(&f->passed, __ATOMIC_ACQUIRE);
		if (episode_check(cp, passed) < 0)
			return -1;
	}
	if (sock_unread(d->src->fd, &queued) < 0)
		return -1;
	if (queued <= 0) {
		struct tcp_info ti;

		/* after the FIN no verdict runs again: read what is left */
		if (sock_tcp_info(d->src->fd, &ti) < 0)
			return -1;
		if (ti.tcpi_state != SG_TCP_CLOSE_WAIT &&
		    ti.tcpi_state != SG_TCP_LAST_ACK &&
		    ti.tcpi_state != SG_TCP_CLOSE) {
			errno = EAGAIN;
			return -1;
		}
		/*
		 * The state changes when the FIN is queued, before the
		 * verdict has run over the last skbs: until it has seen every
		 * byte received, a plain read could take part of an skb the
		 * verdict then passes whole. If it ended our episode with
		 * them, they were redirected: the FIN is the kernel path's.
		 */
		if (f) {
			if (sockmap_read(sm, cp->st->ck[cp->i], &c) < 0)
				return -1;
			have_c = 1;
			passed = __atomic_load_n(&f->passed, __ATOMIC_ACQUIRE);
			if (ti.tcpi_bytes_received - 1 - cp->st->rx_pre[cp->i] >
			    c.bytes + passed - c.dup_skip) {
				cp->eof_early = 1;
				errno = EAGAIN;
				return -1;
			}
			if (episode_check(cp, passed) < 0)
				return -1;
		}
		queued = (int)room;
		fin = 1;
	}
	if (f && !(fin && cp->rpos == passed)) {
		/* only bytes whose repeats are known: an skb is counted in
		 * passed after its repeat is noted, and may land any time
		 * (after the FIN with all of them read: the read sees EOF) */
		if (passed - cp->rpos < room)
			room = (size_t)(passed - cp->rpos);
		skips = __atomic_load_n(&f->skips, __ATOMIC_ACQUIRE);
		if (skips != f->skips_done) {
			if (!have_c &&
			    sockmap_read(sm, cp->st->ck[cp->i], &c) < 0)
				return -1;
			if (skip_repeats(cp, &c, skips, &queued, &room) < 0)
				return -1;
		}
		if (room == 0) {
			errno = EAGAIN;
			return -1;
		}
	}
	if ((size_t)queued < room)
		room = (size_t)queued;
	n = read(d->src->fd, d->buf + d->off + d->fill, room);
	if (n > 0)
		cp->rpos += (uint64_t)n;
	/* EOF only once every byte the verdict passed us is read: passed
	 * skbs can still wait in the psock's work queue */
	if (n == 0 && f && cp->rpos < passed) {
		cp->eof_early = 1;
		errno = EAGAIN;
		return -1;
	}
	return n;
}

static ssize_t psock_out(struct stream_dir *d)
{
	ssize_t n = rw_out(d);

	if (n > 0)
		publish(container_of(d, struct episode, d), (size_t)n,
			d->fill - (size_t)n);
	return n;
}

static const struct stream_chan psock_chan = {
	.in = psock_in,
	.out = psock_out,
};

void episode_free(struct sm_sess *st, int i)
{
	struct episode *cp = st->copy[i];
	struct worker *w = sess_of(st)->w;

	if (!cp)
		return;
	if (cp->big)
		budget_give(&w->bufs, cp->d.cap);
	free(cp); /* a large block is glibc's own mapping: unmapped here */
	st->copy[i] = NULL;
}

/* The verdict ended direction i's episode and its bytes are out. */
void episode_end(struct sm_sess *st, int i)
{
	struct session *s = sess_of(st);

	metric_add(s->w->gw->m.episodes[1], 1);
	log_debug("sockmap: the %s's bytes go through the kernel again",
		  side_name(i));
	episode_free(st, i);
}

struct fwd_res episode_pump(struct sm_sess *st, int i)
{
	struct episode *cp = st->copy[i];
	struct stream_dir *d = &cp->d;
	int r;

	cp->eof_early = 0;
	r = stream_dir_pump(&psock_chan, d);
	if (r < 0)
		return stream_dir_failed(i, r, errno);
	if (d->done) {
		st->shut[1 - i] = 1;
	} else if (d->fill == 0 && cp->over) {
		episode_end(st, i);
	} else if (d->fill == 0 && cp->stale) {
		/* a newer episode: its bytes wait for the kernel's again */
		cp->ep = 0;
		cp->stale = 0;
	}
	return FWD_OK;
}

struct episode *episode_new(struct sm_sess *st, int i, struct sg_flow *f)
{
	struct session *s = sess_of(st);
	size_t cap = (size_t)s->w->gw->conf.buffer;
	struct episode *cp;
	struct stream_dir *d;
	int big = f && cap < SM_EPISODE_BUF &&
		  budget_take(&s->w->bufs, SM_EPISODE_BUF);

	if (big)
		cap = SM_EPISODE_BUF;
	cp = calloc(1, sizeof(*cp) + cap);
	if (!cp) {
		if (big)
			budget_give(&s->w->bufs, cap);
		return NULL;
	}
	cp->big = (uint8_t)big;
	cp->st = st;
	cp->i = i;
	cp->f = f;
	/* all passed before was done when the last episode ended */
	cp->rpos = f ? f->done : 0;
	cp->wait_b = INT64_MAX;
	d = &cp->d;
	d->src = sock_of(s, i);
	d->dst = sock_of(s, 1 - i);
	d->bytes = i == 0 ? &s->bytes_up : &s->bytes_down;
	d->cap = cap;
	d->buf = (uint8_t *)(cp + 1);
	d->pipe[0] = d->pipe[1] = -1;
	d->unbounded = 1; /* edge-triggered: pump until EAGAIN */
	st->copy[i] = cp;
	return cp;
}
