// SPDX-License-Identifier: MIT
/*
 * The sockmap forwarder: the kernel moves the bytes (bpf/sockmap.bpf.c);
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
 * Back-pressure, in episodes (include/sockmap_bpf.h, struct sg_flow).
 * Redirected skbs wait in the peer's psock queue without a bound while
 * the peer's send buffer is full, and the sender's window stays open.
 * Past the high mark the verdict starts an episode: it passes the
 * socket's bytes to its own receive queue, where they are charged to it
 * (its window closes until somebody reads), and reports it through the
 * ring buffer. A direction then goes through three states here:
 *   kernel  no copy state: the verdict redirects;
 *   wait    copy state with ep 0: the bytes redirected before the
 *           episode are still on their way to the peer's TCP; polled;
 *   copy    ep = the episode (fwd/sockmap/episode.c): passed bytes are read and
 *           written to the peer, done/written published in the flow.
 * Only the verdict ends an episode (when done == passed), and only with
 * an skb it then redirects; it reports that too, and the copy state is
 * freed. If a new episode started meanwhile (episodes != ep), its bytes
 * wait until the redirected ones are out again: back to wait. Taking the
 * socket out of the verdict map instead would race with the kernel: an
 * skb being read at that moment is dropped.
 *
 * Repeats. A retransmission that overlaps what TCP already has reaches
 * the verdict whole; the verdict drops or passes it (bpf/sockmap.bpf.c,
 * repeated()) and the copy channel (fwd/sockmap/episode.c) skips the noted repeats.
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

#include "fwd/sockmap/forward.h"
#include "daemon/gateway.h"
#include "core/log.h"
#include "core/sock.h"
#include "fwd/sockmap/episode.h"
#include "fwd/sockmap/sockmap.h"

/* an idle sockmap session is one 232-byte object of its worker's pool
 * (the budget: 256 bytes); bench/ measures it */
_Static_assert(sizeof(struct session) + sizeof(struct sm_sess) <= 232,
	       "a sockmap session outgrew 232 bytes");

/* Bytes written into fd's TCP so far, a lower bound (acked, then queue). */
static int tx_total(int fd, uint64_t *out)
{
	struct tcp_info ti;
	int outq;

	if (sock_tcp_info(fd, &ti) < 0 || ioctl(fd, SIOCOUTQ, &outq) < 0)
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

	if (backlog(st, i, &c, &b) < 0 ||
	    sock_tcp_info(sock_of(sess_of(st), i)->fd, &ti) < 0)
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

static struct fwd_res update_masks(struct sm_sess *st)
{
	struct session *s = sess_of(st);

	for (int j = 0; j < 2; j++) {
		struct episode *out = st->copy[j], *in = st->copy[1 - j];
		uint32_t m = st->fin[j] ? EPOLLRDHUP | EPOLLET : EPOLLRDHUP;

		/* j is read by user space now; after an early EOF (EPOLLIN
		 * stays set after a FIN) the poll timer looks again; while
		 * waiting, the timer too */
		if (out && (out->ep || !out->f))
			m = out->d.in_wait && !out->d.eof && !out->eof_early ?
				    EPOLLIN :
				    0;
		if (in && in->d.fill > 0 && in->d.out_wait)
			m |= EPOLLOUT;
		if (evl_fd_set(s->w->loop, sock_of(s, j), m) < 0)
			return fwd_reset(-1, "epoll_ctl failed", 0);
	}
	return FWD_OK;
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

/*
 * Direction i waits: once the bytes redirected before its episode are in
 * the peer's TCP, and the episode is still the one it read first, copy.
 * *r = 2: still waiting, the backlog shrank since the last look; 1:
 * waiting, it did not; 0: copying or done.
 */
static struct fwd_res episode_wait(struct sm_sess *st, int i, int *r)
{
	struct session *s = sess_of(st);
	struct episode *cp = st->copy[i];
	struct sg_flow *f = cp->f;
	uint32_t e = __atomic_load_n(&f->episodes, __ATOMIC_ACQUIRE);
	struct sg_sock c;
	int64_t b;

	*r = 0;
	if (!__atomic_load_n(&f->congested, __ATOMIC_ACQUIRE)) {
		/* cannot be: an episode passes bytes that only we copy */
		episode_end(st, i);
		return FWD_OK;
	}
	if (backlog(st, i, &c, &b) < 0)
		return fwd_reset(-1, "sockmap: cannot read counters", 0);
	if (b > 0) {
		/* copy only behind the kernel's bytes */
		*r = b < cp->wait_b ? 2 : 1;
		cp->wait_b = b;
		kick_sender(sock_of(s, 1 - i)->fd);
		return FWD_OK;
	}
	/* counted after e began, and none redirected since if e is on */
	if (__atomic_load_n(&f->episodes, __ATOMIC_ACQUIRE) != e ||
	    !__atomic_load_n(&f->congested, __ATOMIC_ACQUIRE)) {
		*r = 1;
		return FWD_OK;
	}
	cp->ep = e;
	cp->wait_b = INT64_MAX;
	if (i == 0 && !st->episodes[0] && s->w->gw->conf.test_repeat_episode) {
		/* the test hook: as if that much more had been read here */
		st->rx_pre[0] += s->w->gw->conf.test_repeat_episode;
		__atomic_store_n(&f->test_lag,
				 s->w->gw->conf.test_repeat_episode,
				 __ATOMIC_RELEASE);
	}
	st->episodes[i]++;
	metric_add(s->w->gw->m.episodes[0], 1);
	log_debug("sockmap: copying the %s's bytes (episode %u)", side_name(i),
		  e);
	return episode_pump(st, i);
}

/* The periodic part: start copying in episodes, pass FINs on. */
static struct fwd_res sm_poll(struct sm_sess *st)
{
	struct session *s = sess_of(st);
	struct fwd_res res;
	int pending = 0, moving = 0;

	for (int i = 0; i < 2; i++) {
		struct episode *cp = st->copy[i];
		int r;

		if (cp && cp->eof_early) {
			cp->d.in_wait = 0;
			res = episode_pump(st, i);
			if (res.act != FWD_CONTINUE)
				return res;
			pending |= st->copy[i] && st->copy[i]->eof_early;
			continue;
		}
		if (!cp || !cp->f || cp->ep)
			continue;
		res = episode_wait(st, i, &r);
		if (res.act != FWD_CONTINUE)
			return res;
		pending |= r > 0;
		moving |= r == 2;
	}
	for (int i = 0; i < 2; i++) {
		int r;

		if (!st->fin[i] || st->shut[1 - i] || st->copy[i])
			continue;
		r = drained(st, i);
		if (r < 0)
			return fwd_reset(-1, "sockmap: cannot read counters",
					 0);
		if (r == 0) {
			pending = 1;
			continue;
		}
		if (shutdown(sock_of(s, 1 - i)->fd, SHUT_WR) < 0 &&
		    errno != ENOTCONN)
			return fwd_reset(-1, "shutdown failed", 0);
		st->shut[1 - i] = 1;
	}
	if (st->shut[0] && st->shut[1])
		return FWD_CLOSE;
	res = update_masks(st);
	if (res.act != FWD_CONTINUE)
		return res;
	if (pending && !evl_timer_active(&s->timer)) {
		/* 1 ms doubling to 64 ms; 1 ms while the kernel's bytes of a
		 * waiting direction drain, as its sender is held up until
		 * they are out (8 ms at most: 100-150 episodes in 3 s of a
		 * stream moved 13-15 Gbit/s here, 1 ms: 15-20) */
		unsigned shift = st->polls < 6 ? st->polls : 6;

		if (moving)
			st->polls = shift = 0;
		else
			st->polls++;
		evl_timer_start(s->w->loop, &s->timer, 1000000ull << shift);
	}
	return FWD_OK;
}

static struct fwd_res sm_timer(struct session *s)
{
	return sm_poll(s->fwd);
}

/* The verdict started or ended an episode of socket cookie. */
static struct fwd_res sm_event(struct session *s, uint64_t cookie)
{
	struct sm_sess *st = s->fwd;
	struct sg_flow *f;
	struct sg_sock v;
	int i = cookie == st->ck[1];

	if (sockmap_read(s->w->gw->sm, cookie, &v) < 0 ||
	    !(f = flow_of(st, &v)))
		return FWD_OK;
	if (!st->copy[i]) {
		if (!__atomic_load_n(&f->congested, __ATOMIC_ACQUIRE))
			return FWD_OK; /* an episode we saw end already */
		if (!episode_new(st, i, f))
			return fwd_reset(-1, "out of memory", 0);
		st->polls = 0;
		log_debug("sockmap: the %s's peer is behind: its bytes go "
			  "through user space",
			  side_name(i));
	} else if (st->copy[i]->ep && !st->copy[i]->d.done) {
		/* ended, or a new one began: the copy finds out */
		struct fwd_res res = episode_pump(st, i);

		if (res.act != FWD_CONTINUE)
			return res;
	}
	return sm_poll(st);
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
	/* fwd/path.c sized the sessions with room for it (.tail) */
	st = (struct sm_sess *)s->tail;
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
	st->tx_base[1] = s->bytes_up + 1 + s->proxy_len;
	/* the test hook: as if those bytes had been read here already */
	st->rx_pre[0] += s->w->gw->conf.test_repeat;
	sndbuf_raise(s->cli.fd);
	sndbuf_raise(s->be.fd);
	if ((r = sockmap_insert(sm, s->cli.fd, s->be.fd, (uint32_t)s->w->id,
				(uint64_t)(uintptr_t)s, st->rx_pre, st->ck)) <
	    0)
		return -1; /* errno set */
	s->fwd = st;
	/* the backend stays out of the verdict map: copy its direction,
	 * which starts at once (nothing of it was redirected): sm_io */
	st->backend_raw = (uint8_t)r;
	return 0;
}

static struct fwd_res sm_io(struct session *s, struct evl_fd *w,
			    uint32_t events)
{
	struct sm_sess *st = s->fwd;
	struct fwd_res res;
	int i = w == &s->be;

	if (!w) {
		/* watch for FIN and errors only: the kernel moves the bytes;
		 * a raw backend's bytes are copied */
		if (st->backend_raw) {
			if (!episode_new(st, 1, NULL))
				return fwd_reset(-1, "out of memory", 0);
			res = episode_pump(st, 1);
			if (res.act != FWD_CONTINUE)
				return res;
		}
		return sm_poll(st);
	}
	if (events & EPOLLERR) {
		int err = 0;
		socklen_t len = sizeof(err);

		getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		return fwd_reset(i, "error", err ? err : EIO);
	}
	if (st->copy[i])
		st->copy[i]->d.in_wait = 0;
	if (st->copy[1 - i] && (events & (EPOLLOUT | EPOLLHUP)))
		st->copy[1 - i]->d.out_wait = 0;
	for (int j = 0; j < 2; j++) {
		struct episode *cp = st->copy[j];

		if (cp && (cp->ep || !cp->f) && !cp->d.done) {
			res = episode_pump(st, j);
			if (res.act != FWD_CONTINUE)
				return res;
		}
	}
	if ((events & (EPOLLRDHUP | EPOLLHUP)) && !st->fin[i]) {
		st->fin[i] = 1;
		st->polls = 0;
	}
	return sm_poll(st);
}

/* The session's counts and what the verdict redirected so far. */
static void sm_counts(const struct session *s, uint64_t *up, uint64_t *down)
{
	struct sm_sess *st = s->fwd;
	struct sg_sock c;

	if (sockmap_read(s->w->gw->sm, st->ck[0], &c) == 0)
		*up += c.bytes;
	if (sockmap_read(s->w->gw->sm, st->ck[1], &c) == 0)
		*down += c.bytes;
}

/* Bytes in a copy state, or redirected and not yet in the peer's TCP. */
static int sm_buffered(const struct session *s)
{
	struct sm_sess *st = s->fwd;

	for (int i = 0; i < 2; i++) {
		struct sg_sock c;
		int64_t b;

		if (st->copy[i] && st->copy[i]->d.fill)
			return 1;
		if (backlog(st, i, &c, &b) < 0 || b > 0)
			return 1;
	}
	return 0;
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
	sockmap_remove(s->w->gw->sm, st->ck, c, f);
	for (int i = 0; i < 2; i++) {
		uint64_t rep = c[i].dup_drop + c[i].dup_skip;

		metric_add(s->w->moved[2 + i], c[i].bytes);
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
	episode_free(st, 0);
	episode_free(st, 1);
	s->fwd = NULL;
}

const struct fwd_ops fwd_sockmap_ops = {
	.name = "sockmap",
	.mode = MODE_SOCKMAP,
	.tail = sizeof(struct sm_sess),
	.start = sm_start,
	.io = sm_io,
	.timer = sm_timer,
	.event = sm_event,
	.buffered = sm_buffered,
	.counts = sm_counts,
	.stop = sm_stop,
};
