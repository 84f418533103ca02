// SPDX-License-Identifier: MIT
/*
 * The sockmap forwarder: the kernel moves the bytes (bpf/sockgate.bpf.c);
 * user space watches each socket for FIN and errors only.
 *
 * The kernel does not pass FIN on. When one side shuts its write half,
 * the peer's write half is shut only once every byte received from that
 * side has been through the verdict and handed to the peer's TCP:
 *   received:  tcpi_bytes_received(src) - 1 (the FIN) - bytes user space
 *              read == bytes the verdict redirected (the BPF counter)
 *   handed:    tcpi_bytes_acked(dst) + SIOCOUTQ(dst) - what was there at
 *              hand-off >= that counter
 * Until then a timer polls with a growing interval (1 to 64 ms).
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

#include "fwd.h"
#include "gateway.h"
#include "log.h"
#include "session.h"
#include "sockmap.h"

#define container_of(ptr, type, member)                                        \
	((type *)((char *)(ptr)-offsetof(type, member)))

struct sm_sess {
	struct ev_timer timer; /* FIN drain poll */
	struct session *s;
	uint64_t ck[2];      /* cookies: 0 client, 1 backend */
	uint64_t tx_base[2]; /* bytes in each socket's TCP at hand-off */
	uint32_t rx_pre[2];  /* bytes user space read from each socket */
	uint8_t fin[2];      /* FIN received on socket i */
	uint8_t shut[2];     /* our write side of socket i is shut */
	uint8_t polls;
};

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

/* Exact when nothing writes meanwhile: two equal readings in a row. */
static int tx_total_exact(int fd, uint64_t *out)
{
	uint64_t a, b;

	if (tx_total(fd, &a) < 0)
		return -1;
	for (int i = 0; i < 8; i++) {
		if (tx_total(fd, &b) < 0)
			return -1;
		if (a == b)
			break;
		a = b;
	}
	*out = b;
	return 0;
}

/* Has everything from socket i reached socket 1-i's TCP? 1, 0, or -1. */
static int drained(struct sm_sess *st, int i)
{
	struct session *s = st->s;
	struct sockmap *sm = s->w->gw->sm;
	struct sg_sock c;
	struct tcp_info ti;
	uint64_t tx;

	if (sockmap_read(sm, st->ck[i], &c) < 0 ||
	    tcp_info_of(sock_of(s, i)->fd, &ti) < 0 ||
	    tx_total(sock_of(s, 1 - i)->fd, &tx) < 0)
		return -1;
	log_debug("sockmap drain %d: rcvd %llu pre %u redirected %llu, peer "
		  "tx %llu base %llu",
		  i, (unsigned long long)ti.tcpi_bytes_received, st->rx_pre[i],
		  (unsigned long long)c.bytes, (unsigned long long)tx,
		  (unsigned long long)st->tx_base[1 - i]);
	/* tcpi_bytes_received counts the FIN's sequence number too */
	if (ti.tcpi_bytes_received - 1 - st->rx_pre[i] > c.bytes)
		return 0; /* the verdict has not seen all of it yet */
	return tx - st->tx_base[1 - i] >= c.bytes;
}

static void check_fins(struct sm_sess *st);

static void poll_cb(struct ev_loop *loop, struct ev_timer *t)
{
	(void)loop;
	check_fins(container_of(t, struct sm_sess, timer));
}

static void check_fins(struct sm_sess *st)
{
	struct session *s = st->s;
	int pending = 0;

	for (int i = 0; i < 2; i++) {
		int r;

		if (!st->fin[i] || st->shut[1 - i])
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
	if (pending) {
		unsigned shift = st->polls < 6 ? st->polls : 6;

		st->polls++;
		ev_timer_start(s->w->loop, &st->timer, 1000000ull << shift);
	}
}

static int sm_start(struct session *s)
{
	struct sm_sess *st;
	struct sockmap *sm = s->w->gw->sm;

	if (!sm) {
		errno = ENOTSUP;
		return -1;
	}
	st = calloc(1, sizeof(*st));
	if (!st)
		return -1;
	st->s = s;
	ev_timer_init(&st->timer, poll_cb);
	st->rx_pre[0] = s->setup ? s->setup->len : 0;
	if (tx_total_exact(s->cli.fd, &st->tx_base[0]) < 0 ||
	    tx_total_exact(s->be.fd, &st->tx_base[1]) < 0 ||
	    sockmap_insert(sm, s->cli.fd, s->be.fd, st->ck) < 0) {
		int err = errno;

		free(st);
		errno = err;
		return -1;
	}
	s->fwd = st;
	return 0;
}

static void sm_io(struct session *s, struct ev_io *w, uint32_t events)
{
	struct sm_sess *st = s->fwd;
	int i = w == &s->be;

	if (!w) {
		/* watch for FIN and errors only: the kernel moves the bytes */
		if (ev_io_set(s->w->loop, &s->cli, EPOLLRDHUP) < 0 ||
		    ev_io_set(s->w->loop, &s->be, EPOLLRDHUP) < 0)
			session_reset(s, "epoll_ctl failed");
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
	if ((events & (EPOLLRDHUP | EPOLLHUP)) && !st->fin[i]) {
		st->fin[i] = 1;
		/* RDHUP stays set: edge-triggered from now on, errors only */
		if (ev_io_set(s->w->loop, w, EPOLLRDHUP | EPOLLET) < 0) {
			session_reset(s, "epoll_ctl failed");
			return;
		}
		st->polls = 0;
		check_fins(st);
	}
}

static void sm_stop(struct session *s)
{
	struct sm_sess *st = s->fwd;
	struct sg_sock c[2];

	if (!st)
		return;
	ev_timer_stop(s->w->loop, &st->timer);
	sockmap_remove(s->w->gw->sm, st->ck, c);
	s->bytes_up += c[0].bytes;
	s->bytes_down += c[1].bytes;
	if (c[0].drops || c[1].drops)
		log_warn("sockmap: %llu skbs not redirected",
			 (unsigned long long)(c[0].drops + c[1].drops));
	free(st);
	s->fwd = NULL;
}

const struct fwd_ops fwd_sockmap_ops = {
	.name = "sockmap",
	.mode = MODE_SOCKMAP,
	.start = sm_start,
	.io = sm_io,
	.stop = sm_stop,
};
