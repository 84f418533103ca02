// SPDX-License-Identifier: MIT
/*
 * The sockmap forwarder: the kernel moves the bytes (bpf/sockgate.bpf.c);
 * user space watches each socket for FIN and errors, and steps in for
 * the two things the kernel does not do.
 *
 * FIN. The kernel does not pass it on. When one side shuts its write
 * half, the peer's write half is shut once every byte received from that
 * side has been through the verdict and handed to the peer's TCP:
 *   received:  tcpi_bytes_received(src) - 1 (the FIN) - bytes user space
 *              read before the hand-off == bytes the verdict saw
 *              (redirected + passed - repeats, the BPF counters)
 *   handed:    tcpi_bytes_acked(dst) + SIOCOUTQ(dst) - what was there at
 *              hand-off - what the gateway wrote in episodes >= the
 *              redirected count
 * (during an episode the copy takes the FIN, as a plain copy does)
 * Until then a timer polls with a growing interval (1 to 64 ms).
 *
 * Back-pressure, in episodes (include/sockgate_bpf.h, struct sg_flow).
 * Redirected skbs wait in the peer's psock queue without a bound while
 * the peer's send buffer is full, and the sender's window stays open.
 * Past the high mark the verdict starts an episode: it passes the
 * socket's bytes to its own receive queue, where they are charged to it
 * (its window closes until somebody reads), and reports it through the
 * ring buffer. A direction then goes through three states here:
 *   kernel  no copy state: the verdict redirects;
 *   wait    copy state with ep 0: the bytes redirected before the
 *           episode are still on their way to the peer's TCP; polled;
 *   copy    ep = the episode: passed bytes are read and written to the
 *           peer, and done/written published in the shared flow.
 * Only the verdict ends an episode (when done == passed), and only with
 * an skb it then redirects; it reports that too, and the copy state is
 * freed. If a new episode started meanwhile (episodes != ep), its bytes
 * wait until the redirected ones are out again: back to wait. Taking the
 * socket out of the verdict map instead would race with the kernel: an
 * skb being read at that moment is dropped.
 *
 * Repeats. A retransmission that overlaps what TCP already has reaches
 * the verdict whole; the verdict drops or passes it (bpf/sockgate.bpf.c,
 * repeated()) and the copy channel skips the noted repeated bytes.
 */
#include <errno.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fwd.h"
#include "fwd_stream.h"
#include "gateway.h"
#include "log.h"
#include "session.h"
#include "sockmap.h"

/*
 * An episode copies with a large buffer: read and write a MiB at a time,
 * not 16 KiB (--buffer). Measured on 2 GB streams copied wholly in
 * episodes (before episodes ended as they do now): 21-24 Gbit/s and
 * 0.5-0.6 system CPU-s/GB, against 12-14 and 0.8-0.9 with 16 KiB. A
 * worker holds at most SM_EPISODE_BUDGET of them; past that, episodes
 * get --buffer bytes.
 */
#define SM_EPISODE_BUF (1u << 20)
#define SM_EPISODE_BUDGET (32u << 20)

/* A direction in an episode (wait or copy), or a raw one. */
struct sm_copy {
	struct stream_dir d;
	struct sm_sess *st;
	struct sg_flow *f; /* the source socket's flow; NULL: raw, src never
			    * had the verdict, plain reads are safe */
	int i;         /* its source socket */
	int eof_early; /* read 0 while bytes passed to us are on their way */
	uint32_t ep;   /* the episode it copies; 0: waiting for the
			* redirected bytes to reach the peer */
	uint8_t stale; /* a newer episode began: wait again when empty */
	uint8_t over;  /* the verdict ended the episode */
	uint8_t big;   /* its buffer counts in the worker's sm_bufs */
	int64_t wait_b; /* waiting: the backlog at the last look */
	uint64_t rpos; /* passed bytes read, repeats included (sg_flow) */
};

/* Kept small: one per idle session, in the session's own allocation
 * (fwd_sockmap_tail; its session is the struct before it). The poll
 * timer (FIN drain, resume) is the session's, free once the handshake
 * is over. */
struct sm_sess {
	uint64_t ck[2];      /* cookies: 0 client, 1 backend */
	uint64_t tx_base[2]; /* bytes in each socket's TCP at hand-off */
	uint32_t rx_pre[2];  /* bytes user space read from each socket */
	uint8_t fin[2];      /* FIN received on socket i */
	uint8_t shut[2];     /* our write side of socket i is shut */
	uint8_t episodes[2];  /* copied from socket i (mod 256): the test
				* hook acts in the first */
	uint8_t backend_raw;   /* the backend never joined the verdict map */
	uint8_t polls;
	struct sm_copy *copy[2]; /* i -> 1-i in an episode, or raw */
};

const size_t fwd_sockmap_tail = sizeof(struct sm_sess);

/* an idle sockmap session is one 232-byte object of its worker's pool
 * (the budget: 256 bytes); bench/ measures it */
_Static_assert(sizeof(struct session) + sizeof(struct sm_sess) <= 232,
	       "a sockmap session outgrew 232 bytes");

static struct session *sess_of(struct sm_sess *st)
{
	return (struct session *)st - 1;
}

static struct ev_io *sock_of(struct session *s, int i)
{
	return i == 0 ? &s->cli : &s->be;
}

static int tcp_info_of(int fd, struct tcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len);
}

/* Bytes written into fd's TCP so far, a lower bound (acked, then queue). */
static int tx_total(int fd, uint64_t *out)
{
	struct tcp_info ti;
	int outq;

	if (tcp_info_of(fd, &ti) < 0 || ioctl(fd, SIOCOUTQ, &outq) < 0)
		return -1;
	*out = ti.tcpi_bytes_acked + (uint64_t)outq;
	return 0;
}

static struct sg_flow *flow_of(struct sm_sess *st, const struct sg_sock *c)
{
	return sockmap_flow(sess_of(st)->w->gw->sm, c->slot);
}

/*
 * Bytes redirected from socket i not yet in its peer's TCP: what the
 * peer's TCP took since the hand-off, less what we wrote there in
 * episodes. 0 or -1.
 */
static int backlog(struct sm_sess *st, int i, struct sg_sock *c, int64_t *b)
{
	struct session *s = sess_of(st);
	struct sg_flow *f;
	uint64_t tx;

	if (sockmap_read(s->w->gw->sm, st->ck[i], c) < 0 ||
	    !(f = flow_of(st, c)) || tx_total(sock_of(s, 1 - i)->fd, &tx) < 0)
		return -1;
	*b = (int64_t)c->bytes -
	     (int64_t)(tx - st->tx_base[1 - i] -
		       __atomic_load_n(&f->written, __ATOMIC_RELAXED));
	return 0;
}

/* Has everything from socket i reached socket 1-i's TCP? 1, 0, or -1. */
static int drained(struct sm_sess *st, int i)
{
	struct sg_sock c;
	struct sg_flow *f;
	struct tcp_info ti;
	int64_t b;

	if (backlog(st, i, &c, &b) < 0 || tcp_info_of(sock_of(sess_of(st), i)->fd, &ti) < 0)
		return -1;
	f = flow_of(st, &c);
	/* an episode began: its report is on the way, the copy ends it */
	if (__atomic_load_n(&f->congested, __ATOMIC_ACQUIRE))
		return 0;
	/* tcpi_bytes_received counts the FIN's sequence number too */
	if (ti.tcpi_bytes_received - 1 - st->rx_pre[i] >
	    c.bytes + f->passed - c.dup_skip)
		return 0; /* the verdict has not seen all of it yet */
	return b <= 0;
}

static void update_masks(struct sm_sess *st)
{
	struct session *s = sess_of(st);

	for (int j = 0; j < 2; j++) {
		struct sm_copy *out = st->copy[j], *in = st->copy[1 - j];
		uint32_t m = st->fin[j] ? EPOLLRDHUP | EPOLLET : EPOLLRDHUP;

		/* j is read by user space now; after an early EOF (EPOLLIN
		 * stays set after a FIN) the poll timer looks again; while
		 * waiting, the timer too */
		if (out && (out->ep || !out->f))
			m = out->d.in_wait && !out->d.eof && !out->eof_early
				    ? EPOLLIN
				    : 0;
		if (in && in->d.fill > 0 && in->d.out_wait)
			m |= EPOLLOUT;
		if (ev_io_set(s->w->loop, sock_of(s, j), m) < 0) {
			session_reset(s, "epoll_ctl failed");
			return;
		}
	}
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
/* include/net/tcp_states.h: the states after a FIN was received */
enum { SG_TCP_CLOSE = 7, SG_TCP_CLOSE_WAIT = 8, SG_TCP_LAST_ACK = 9 };

/*
 * Tells the verdict how far we are, after writing n bytes to the peer
 * (fill: what is left in the buffer) or skipping a repeat (n 0). Only
 * this thread writes these two; the verdict reads done, then written.
 */
static void publish(struct sm_copy *cp, size_t n, size_t fill)
{
	struct sg_flow *f = cp->f;

	if (!f)
		return;
	__atomic_store_n(&f->written, f->written + n, __ATOMIC_RELAXED);
	__atomic_store_n(&f->done, cp->rpos - fill, __ATOMIC_RELEASE);
}
/*
 * Drops the repeated bytes the verdict passed (bpf/sockgate.bpf.c,
 * repeated()) when the read position reaches them, reading at most
 * *queued; limits *room so that a read stops at the next repeat. skips:
 * the flow's count, read after passed; c: the skips themselves, read
 * after that. 0, or -1 with errno (EAGAIN: wait for more).
 */
static int skip_repeats(struct sm_copy *cp, const struct sg_sock *c,
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
static int episode_check(struct sm_copy *cp, uint64_t passed)
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

static ssize_t psock_in(struct stream_dir *d)
{
	struct sm_copy *cp = container_of(d, struct sm_copy, d);
	struct sockmap *sm = sess_of(cp->st)->w->gw->sm;
	struct sg_flow *f = cp->f;
	size_t room = copy_room(d);
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
	if (ioctl(d->src->fd, FIONREAD, &queued) < 0)
		return -1;
	if (queued <= 0) {
		struct tcp_info ti;

		/* after the FIN no verdict runs again: read what is left */
		if (tcp_info_of(d->src->fd, &ti) < 0)
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
			if (!have_c && sockmap_read(sm, cp->st->ck[cp->i], &c) < 0)
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
	ssize_t n = copy_out(d);

	if (n > 0)
		publish(container_of(d, struct sm_copy, d), (size_t)n,
			d->fill - (size_t)n);
	return n;
}

static const struct stream_chan psock_chan = {
	.in = psock_in,
	.out = psock_out,
};

/* Frees direction i's copy state, and its share of the budget. */
static void copy_free(struct sm_sess *st, int i)
{
	struct sm_copy *cp = st->copy[i];
	struct worker *w = sess_of(st)->w;

	if (!cp)
		return;
	if (cp->big)
		w->sm_bufs -= cp->d.cap;
	free(cp); /* a large block is glibc's own mapping: unmapped here */
	st->copy[i] = NULL;
}

/* The verdict ended direction i's episode and its bytes are out. */
static void episode_end(struct sm_sess *st, int i)
{
	struct session *s = sess_of(st);

	metric_add(s->w->gw->m.episodes[1], 1);
	log_debug("sockmap: the %s's bytes go through the kernel again",
		  i == 0 ? "client" : "backend");
	copy_free(st, i);
}

/* Moves a copying direction; 0, or -1 when the session ended. */
static int pump_copy(struct sm_sess *st, int i)
{
	struct sm_copy *cp = st->copy[i];
	struct stream_dir *d = &cp->d;
	char msg[96];
	int r;

	cp->eof_early = 0;
	r = stream_dir_pump(&psock_chan, d);
	if (r < 0) {
		snprintf(msg, sizeof(msg), "%s %s: %s",
			 (r == -1) == (i == 0) ? "client" : "backend",
			 r == -1 ? "read" : "write", strerror(errno));
		session_reset(sess_of(st), msg);
		return -1;
	}
	if (d->done) {
		st->shut[1 - i] = 1;
	} else if (d->fill == 0 && cp->over) {
		episode_end(st, i);
	} else if (d->fill == 0 && cp->stale) {
		/* a newer episode: its bytes wait for the kernel's again */
		cp->ep = 0;
		cp->stale = 0;
	}
	return 0;
}

/* Copy state for direction i: an episode's (f) or a raw one (NULL). */
static struct sm_copy *copy_new(struct sm_sess *st, int i, struct sg_flow *f)
{
	struct session *s = sess_of(st);
	size_t cap = (size_t)s->w->gw->conf.buffer;
	struct sm_copy *cp;
	struct stream_dir *d;
	int big = f && cap < SM_EPISODE_BUF &&
		  s->w->sm_bufs + SM_EPISODE_BUF <= SM_EPISODE_BUDGET;

	if (big)
		cap = SM_EPISODE_BUF;
	cp = calloc(1, sizeof(*cp) + cap);
	if (!cp) {
		session_reset(s, "out of memory");
		return NULL;
	}
	if (big)
		s->w->sm_bufs += cap;
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

/*
 * The psock's send worker, finding the peer's send buffer half full,
 * sleeps a jiffy instead of waiting for room (sk_psock_backlog in
 * net/core/skmsg.c): with the autotuned 4 MiB the kernel path moved 6-12
 * Gbit/s here, with 16 MiB 17-19 (bench/). A limit, not an allocation;
 * the high mark follows it (twice the peer's). SO_SNDBUFFORCE needs
 * CAP_NET_ADMIN, which the sockmap path has; else net.core.wmem_max caps.
 */
#define SM_SNDBUF (8 << 20) /* the kernel doubles it */

static void sndbuf_raise(int fd)
{
	int v = SM_SNDBUF;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}

/*
 * The peer's psock worker sends the queued skbs; when the peer's send
 * buffer is full it stops, and only a redirect (none come once the socket
 * is congested) or the socket's write-space callback starts it again. The
 * callback runs after an ACK only if a writer had found the buffer full,
 * which the worker does not record. Setting the send buffer calls it, so
 * each poll sets it again, to the size sm_start gave it. (Setting it to
 * what getsockopt reports, halved, as this did before, went through
 * net.core.wmem_max: 16 MiB became 8 here, and 416 KiB on a default
 * Debian kernel.)
 */
static void kick_sender(int fd)
{
	sndbuf_raise(fd);
}

static void poll_cb(struct ev_loop *loop, struct ev_timer *t);

/*
 * Direction i waits: once the bytes redirected before its episode are in
 * the peer's TCP, and the episode is still the one it read first, copy.
 * 2: still waiting, the backlog shrank since the last look; 1: waiting,
 * it did not; 0: copying or done; -1: the session ended.
 */
static int episode_wait(struct sm_sess *st, int i)
{
	struct session *s = sess_of(st);
	struct sm_copy *cp = st->copy[i];
	struct sg_flow *f = cp->f;
	uint32_t e = __atomic_load_n(&f->episodes, __ATOMIC_ACQUIRE);
	struct sg_sock c;
	int64_t b;

	if (!__atomic_load_n(&f->congested, __ATOMIC_ACQUIRE)) {
		/* cannot be: an episode passes bytes that only we copy */
		episode_end(st, i);
		return 0;
	}
	if (backlog(st, i, &c, &b) < 0) {
		session_reset(s, "sockmap: cannot read counters");
		return -1;
	}
	if (b > 0) {
		int moving = b < cp->wait_b;

		/* copy only behind the kernel's bytes */
		cp->wait_b = b;
		kick_sender(sock_of(s, 1 - i)->fd);
		return moving ? 2 : 1;
	}
	/* counted after e began, and none redirected since if e is on */
	if (__atomic_load_n(&f->episodes, __ATOMIC_ACQUIRE) != e ||
	    !__atomic_load_n(&f->congested, __ATOMIC_ACQUIRE))
		return 1;
	cp->ep = e;
	cp->wait_b = INT64_MAX;
	if (i == 0 && !st->episodes[0] &&
	    s->w->gw->conf.test_repeat_episode) {
		/* the test hook: as if that much more had been read here */
		st->rx_pre[0] += s->w->gw->conf.test_repeat_episode;
		__atomic_store_n(&f->test_lag,
				 s->w->gw->conf.test_repeat_episode,
				 __ATOMIC_RELEASE);
	}
	st->episodes[i]++;
	metric_add(s->w->gw->m.episodes[0], 1);
	log_debug("sockmap: copying the %s's bytes (episode %u)",
		  i == 0 ? "client" : "backend", e);
	return pump_copy(st, i);
}

/* The periodic part: start copying in episodes, pass FINs on. */
static void sm_poll(struct sm_sess *st)
{
	struct session *s = sess_of(st);
	int pending = 0, moving = 0;

	for (int i = 0; i < 2; i++) {
		struct sm_copy *cp = st->copy[i];
		int r;

		if (cp && cp->eof_early) {
			cp->d.in_wait = 0;
			if (pump_copy(st, i) < 0)
				return;
			pending |= st->copy[i] && st->copy[i]->eof_early;
			continue;
		}
		if (!cp || !cp->f || cp->ep)
			continue;
		if ((r = episode_wait(st, i)) < 0)
			return;
		pending |= r > 0;
		moving |= r == 2;
	}
	for (int i = 0; i < 2; i++) {
		int r;

		if (!st->fin[i] || st->shut[1 - i] || st->copy[i])
			continue;
		r = drained(st, i);
		if (r < 0) {
			session_reset(s, "sockmap: cannot read counters");
			return;
		}
		if (r == 0) {
			pending = 1;
			continue;
		}
		if (shutdown(sock_of(s, 1 - i)->fd, SHUT_WR) < 0 &&
		    errno != ENOTCONN) {
			session_reset(s, "shutdown failed");
			return;
		}
		st->shut[1 - i] = 1;
	}
	if (st->shut[0] && st->shut[1]) {
		session_close(s, "done");
		return;
	}
	update_masks(st);
	if (pending && !ev_timer_active(&s->timer)) {
		/* 1 ms doubling to 64 ms; 1 ms while the kernel's bytes of a
		 * waiting direction drain, as its sender is held up until
		 * they are out (8 ms at most: 100-150 episodes in 3 s of a
		 * stream moved 13-15 Gbit/s here, 1 ms: 15-20) */
		unsigned shift = st->polls < 6 ? st->polls : 6;

		if (moving)
			st->polls = shift = 0;
		else
			st->polls++;
		ev_timer_start(s->w->loop, &s->timer, 1000000ull << shift);
	}
}

static void poll_cb(struct ev_loop *loop, struct ev_timer *t)
{
	(void)loop;
	sm_poll(container_of(t, struct session, timer)->fwd);
}

void fwd_sockmap_event(struct worker *w, uint64_t cookie)
{
	struct sockmap *sm = w->gw->sm;
	struct sg_flow *f;
	struct sg_sock v;
	struct session *s;
	struct sm_sess *st;
	int i;

	/* the entry goes before its session is freed, on this thread: if it
	 * is there, so is the session */
	if (!sm || sockmap_read(sm, cookie, &v) < 0 || !v.user ||
	    !(f = sockmap_flow(sm, v.slot)))
		return;
	s = (struct session *)(uintptr_t)v.user;
	st = s->fwd;
	i = cookie == st->ck[1];
	if (!st->copy[i]) {
		if (!__atomic_load_n(&f->congested, __ATOMIC_ACQUIRE))
			return; /* an episode we saw end already */
		if (!copy_new(st, i, f))
			return;
		st->polls = 0;
		log_debug("sockmap: the %s's peer is behind: its bytes go "
			  "through user space",
			  i == 0 ? "client" : "backend");
	} else if (st->copy[i]->ep && !st->copy[i]->d.done) {
		/* ended, or a new one began: the copy finds out */
		if (pump_copy(st, i) < 0)
			return;
	}
	sm_poll(st);
}

static int sm_start(struct session *s)
{
	struct sm_sess *st;
	int r = 0;
	struct sockmap *sm = s->w->gw->sm;

	if (!sm) {
		errno = ENOTSUP;
		return -1;
	}
	/* session_new made room for it when the gateway loaded sockmap */
	st = (struct sm_sess *)(s + 1);
	memset(st, 0, sizeof(*st));
	/* read by user space: the token line, then what it forwarded (the
	 * leftover, and all a copy stage moved: it hands over empty) */
	st->rx_pre[0] = (uint32_t)(s->line_len + s->bytes_up);
	st->rx_pre[1] = (uint32_t)s->bytes_down;
	/* what each socket's acked + queued count holds before: the status
	 * and what was forwarded; and the SYN (we opened that one: the
	 * SYN-ACK counts in tcpi_bytes_acked; without the 1 a one-byte
	 * upload was shut before it was sent, and the peer's send worker
	 * got EPIPE) */
	st->tx_base[0] = 3 + s->bytes_down;
	st->tx_base[1] = s->bytes_up + 1;
	/* the test hook: as if those bytes had been read here already */
	st->rx_pre[0] += s->w->gw->conf.test_repeat;
	sndbuf_raise(s->cli.fd);
	sndbuf_raise(s->be.fd);
	if ((r = sockmap_insert(sm, s->cli.fd, s->be.fd, (uint32_t)s->w->id,
				(uint64_t)(uintptr_t)s, st->rx_pre, st->ck)) < 0)
		return -1; /* errno set */
	s->fwd = st;
	ev_timer_init(&s->timer, poll_cb);
	/* the backend stays out of the verdict map: copy its direction,
	 * which starts at once (nothing of it was redirected): sm_io */
	st->backend_raw = (uint8_t)r;
	return 0;
}

static void sm_io(struct session *s, struct ev_io *w, uint32_t events)
{
	struct sm_sess *st = s->fwd;
	int i = w == &s->be;

	if (!w) {
		/* watch for FIN and errors only: the kernel moves the bytes;
		 * a raw backend's bytes are copied (copy_new resets the
		 * session when it fails) */
		if (st->backend_raw &&
		    (!copy_new(st, 1, NULL) || pump_copy(st, 1) < 0))
			return;
		sm_poll(st);
		return;
	}
	if (events & EPOLLERR) {
		int err = 0;
		socklen_t len = sizeof(err);
		char msg[96];

		getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		snprintf(msg, sizeof(msg), "%s error: %s",
			 i ? "backend" : "client", strerror(err ? err : EIO));
		session_reset(s, msg);
		return;
	}
	if (st->copy[i])
		st->copy[i]->d.in_wait = 0;
	if (st->copy[1 - i] && (events & (EPOLLOUT | EPOLLHUP)))
		st->copy[1 - i]->d.out_wait = 0;
	for (int j = 0; j < 2; j++) {
		struct sm_copy *cp = st->copy[j];

		if (cp && (cp->ep || !cp->f) && !cp->d.done &&
		    pump_copy(st, j) < 0)
			return;
	}
	if ((events & (EPOLLRDHUP | EPOLLHUP)) && !st->fin[i]) {
		st->fin[i] = 1;
		st->polls = 0;
	}
	sm_poll(st);
}

static void sm_stop(struct session *s)
{
	static const char *const side[2] = { "client", "backend" };
	struct sm_sess *st = s->fwd;
	struct metrics *m = &s->w->gw->m;
	struct sg_sock c[2];
	struct sg_flow f[2];

	if (!st)
		return;
	ev_timer_stop(s->w->loop, &s->timer);
	sockmap_remove(s->w->gw->sm, st->ck, c, f);
	for (int i = 0; i < 2; i++) {
		uint64_t rep = c[i].dup_drop + c[i].dup_skip;

		metric_add(m->bytes_kernel[i], c[i].bytes);
		if (f[i].episodes)
			log_info("sockmap: the %s's bytes: %llu through the "
				 "kernel, %llu through user space in %u "
				 "congestion episodes (%u ended)",
				 side[i], (unsigned long long)c[i].bytes,
				 (unsigned long long)f[i].written,
				 f[i].episodes, f[i].resumed);
		if (!rep)
			continue;
		log_info("sockmap: %llu bytes from the %s came a second time "
			 "(retransmitted over what TCP had) and were not "
			 "forwarded again",
			 (unsigned long long)rep, side[i]);
		metric_add(m->repeat_bytes, rep);
	}
	s->bytes_up += c[0].bytes;
	s->bytes_down += c[1].bytes;
	if (c[0].drops || c[1].drops)
		log_warn("sockmap: %llu skbs not redirected",
			 (unsigned long long)(c[0].drops + c[1].drops));
	copy_free(st, 0);
	copy_free(st, 1);
	s->fwd = NULL;
}

const struct fwd_ops fwd_sockmap_ops = {
	.name = "sockmap",
	.mode = MODE_SOCKMAP,
	.start = sm_start,
	.io = sm_io,
	.stop = sm_stop,
};
