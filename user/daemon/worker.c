// SPDX-License-Identifier: MIT
/*
 * A worker: one thread, one epoll loop, one listener (its own with
 * SO_REUSEPORT, or a share of one socket through EPOLLEXCLUSIVE). It
 * accepts, runs its sessions to the end, and drains on request.
 */
#include <errno.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/gateway.h"
#include "daemon/worker.h"
#include "session/life.h"
#include "session/idle.h"
#include "core/log.h"
#include "core/sock.h"
#include "fwd/path.h"
#include "session/resolve.h"
#include "session/session.h"
#include "ctl/status.h"

#define ACCEPT_BATCH 64
#define PAUSE_MAXCONNS (-1)
#define ACCEPT_BURST_NS 1000000000ull /* a second without a pause */

static void stop_listening(struct worker *w);

static int listener_enable(struct worker *w, int on)
{
	int r;

	if (w->accepting == on || w->lsn.fd < 0)
		return 0;
	if (on && w->lsn_shared)
		r = evl_fd_add_exclusive(w->loop, &w->lsn);
	else
		r = evl_fd_set(w->loop, &w->lsn, on ? EPOLLIN : 0);
	if (r == 0)
		w->accepting = on;
	else
		log_error("listener epoll_ctl: %s", strerror(errno));
	return r;
}

/* Stops accepting for a while; logs once per burst. err: errno or -1. */
/*
 * Stops accepting for a while. A burst of pauses (at --max-conns one per
 * freed slot) logs one line when it starts and one when a second has
 * passed without a pause (burst_end). err: errno or PAUSE_MAXCONNS.
 */
static void accept_pause(struct worker *w, int err)
{
	listener_enable(w, 0);
	if (!w->accept_err)
		metric_add(w->gw->m.accept_paused, 1);
	if (!w->burst_pauses) {
		if (err == PAUSE_MAXCONNS)
			log_warn("max-conns %ld reached: pausing accepts",
				 w->gw->conf.max_conns);
		else
			log_warn("accept: %s: pausing accepts until fds free "
				 "up",
				 strerror(err));
	}
	w->burst_pauses++;
	w->accept_err = err;
	evl_timer_start(w->loop, &w->accept_timer, ACCEPT_RETRY_NS);
	evl_timer_start(w->loop, &w->burst_timer, ACCEPT_BURST_NS);
}

static void burst_end(struct evl *loop, struct evl_timer *t)
{
	struct worker *w = container_of(t, struct worker, burst_timer);

	if (!w->accepting) {
		/* still paused: the burst goes on */
		evl_timer_start(loop, t, ACCEPT_BURST_NS);
		return;
	}
	log_warn("accepting again (%u pause%s in this burst)", w->burst_pauses,
		 w->burst_pauses == 1 ? "" : "s");
	w->burst_pauses = 0;
}

static void accept_resume(struct evl *loop, struct evl_timer *t)
{
	struct worker *w = container_of(t, struct worker, accept_timer);

	(void)loop;
	if (!w->draining)
		listener_enable(w, 1); /* the next accept tells if it is over */
}

/* Connections complete and waiting in a listener's accept queue? For a
 * listening socket TCP_INFO's tcpi_unacked is that queue's length. */
static int backlog_waiting(int fd)
{
	struct tcp_info ti;

	return sock_tcp_info(fd, &ti) == 0 && ti.tcpi_unacked > 0;
}

static void accept_cb(struct evl *loop, struct evl_fd *io, uint32_t events)
{
	struct worker *w = container_of(io, struct worker, lsn);
	struct gateway *gw = w->gw;

	(void)loop;
	(void)events;
	if (atomic_load(&gw->stop) != GW_RUNNING) {
		stop_listening(w); /* the wake-up is on its way */
		return;
	}
	for (int i = 0; i < ACCEPT_BATCH && w->accepting; i++) {
		union sg_addr peer;
		socklen_t plen = sizeof(peer);
		int fd;

		if (gw->conf.max_conns &&
		    metric_get(gw->m.active) >= gw->conf.max_conns) {
			/* a slow handshake gives way to a client waiting */
			if (backlog_waiting(w->lsn.fd) && session_evict(w, 0))
				continue;
			/* else leave them in the backlog: clients wait, not
			 * fail */
			accept_pause(w, PAUSE_MAXCONNS);
			return;
		}
		memset(&peer, 0, sizeof(peer));
		fd = accept4(w->lsn.fd, &peer.sa, &plen,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			switch (errno) {
			case EAGAIN:
			case EINTR:
			case ECONNABORTED:
			case EPROTO:
				return;
			case EMFILE:
			case ENFILE:
			case ENOBUFS:
			case ENOMEM:
				metric_add(gw->m.accept_errors, 1);
				accept_pause(w, errno);
				return;
			default:
				metric_add(gw->m.accept_errors, 1);
				log_error("accept: %s", strerror(errno));
				accept_pause(w, errno);
				return;
			}
		}
		w->accept_err = 0; /* burst_end logs when it is over */
		metric_add(gw->m.accepted, 1);
		session_accept(w, fd, &peer);
	}
}

static void close_all(struct worker *w, const char *why)
{
	while (w->ss.all)
		session_end(w->ss.all, why, 1);
}

static void stop_listening(struct worker *w)
{
	listener_enable(w, 0);
	evl_timer_stop(w->loop, &w->accept_timer);
	evl_timer_stop(w->loop, &w->burst_timer);
	/* queued clients move to the group's other listeners (daemon/listen.c),
	 * or get RST, not a hang */
	if (!w->lsn_shared && w->lsn.fd >= 0)
		close(w->lsn.fd);
	w->lsn.fd = -1;
}

void worker_post(struct worker *w, uint64_t cookie)
{
	pthread_mutex_lock(&w->q_lock);
	if (w->q_len == w->q_cap) {
		size_t cap = w->q_cap ? w->q_cap * 2 : 64;
		uint64_t *q = realloc(w->q, cap * sizeof(*q));

		if (!q) {
			/* the verdict marks it again only after a resume:
			 * losing the event would leave it unpaused */
			pthread_mutex_unlock(&w->q_lock);
			log_error("congestion event lost: out of memory");
			return;
		}
		w->q = q;
		w->q_cap = cap;
	}
	w->q[w->q_len++] = cookie;
	pthread_mutex_unlock(&w->q_lock);
	worker_wake(w);
}

static void take_events(struct worker *w)
{
	uint64_t batch[64];
	size_t n;

	do {
		pthread_mutex_lock(&w->q_lock);
		n = w->q_len < 64 ? w->q_len : 64;
		if (n) {
			memcpy(batch, w->q + (w->q_len - n),
			       n * sizeof(*batch));
			w->q_len -= n;
		}
		pthread_mutex_unlock(&w->q_lock);
		for (size_t i = 0; i < n; i++)
			session_kernel_event(w, batch[i]);
	} while (n == 64);
}

/* --drain-spread: a tick ends the next sessions (FIN unless bytes the
 * gateway holds would be lost), so that clients reconnect gradually. */
static void spread_tick(struct evl *loop, struct evl_timer *t)
{
	struct worker *w = container_of(t, struct worker, spread_timer);

	struct session *s = w->ss.all, *next;

	/* forwarding ones: a handshake finishes first (its deadline) */
	for (unsigned i = 0; s && i < w->spread_per_tick; s = next) {
		next = s->next;
		if (s->state != SESS_FORWARD)
			continue;
		session_end(s, "drained (--drain-spread)", path_buffered(s));
		i++;
	}
	if (w->ss.all)
		evl_timer_start(loop, t, w->spread_tick_ns);
}

/* The drain's ends, one tick apart over --drain-spread: at least 1 ms a
 * tick, more sessions a tick when there are more than milliseconds. */
static void spread_start(struct worker *w)
{
	uint64_t spread = w->gw->conf.drain_spread_ns, n = w->ss.n;

	if (!spread || !n)
		return;
	w->spread_tick_ns = spread / n;
	w->spread_per_tick = 1;
	if (w->spread_tick_ns < 1000000) {
		w->spread_per_tick = (unsigned)(n * 1000000 / spread) + 1;
		w->spread_tick_ns = 1000000;
	}
	evl_timer_start(w->loop, &w->spread_timer, w->spread_tick_ns);
}

static void wake_cb(struct evl *loop, struct evl_fd *io, uint32_t events)
{
	struct worker *w = container_of(io, struct worker, wake);
	uint64_t v;

	(void)events;
	if (read(io->fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_error("eventfd read: %s", strerror(errno));
	take_events(w);
	status_worker_serve(w);
	switch (atomic_load(&w->gw->stop)) {
	case GW_FORCE:
		stop_listening(w);
		close_all(w, "drain timeout");
		evl_stop(loop);
		break;
	case GW_DRAIN:
		if (!w->draining) {
			w->draining = 1;
			stop_listening(w);
			log_info("draining %u sessions", w->ss.n);
			spread_start(w);
		}
		if (w->ss.n == 0)
			evl_stop(loop);
		break;
	default:
		break;
	}
}

/* After each batch: sessions that ended free room for accepts, and the
 * last one of a drain stops the loop. */
static void sessions_check(struct evl *loop, void *arg)
{
	struct worker *w = arg;

	unsigned before = w->nsessions_seen;

	w->nsessions_seen = w->ss.n;
	if (w->draining && w->ss.n == 0)
		evl_stop(loop);
	else if (w->ss.n < before && w->accept_err == PAUSE_MAXCONNS &&
		 !w->draining)
		listener_enable(w, 1);
}

int worker_init(struct worker *w, struct gateway *gw, int id, int lsn_fd,
		int shared)
{
	memset(w, 0, sizeof(*w));
	w->gw = gw;
	w->id = id;
	snprintf(w->tag, sizeof(w->tag), "w%d", id);
	w->lsn_shared = shared;
	w->lsn_shared_fd = shared ? lsn_fd : -1;
	pthread_mutex_init(&w->q_lock, NULL);
	pthread_mutex_init(&w->st.lock, NULL);
	pthread_cond_init(&w->st.cond, NULL);
	evl_fd_init(&w->lsn, lsn_fd, accept_cb);
	evl_fd_init(&w->wake, -1, wake_cb);
	evl_timer_init(&w->accept_timer, accept_resume);
	evl_timer_init(&w->burst_timer, burst_end);
	evl_timer_init(&w->spread_timer, spread_tick);
	trim_init(&w->trim);
	pool_init(&w->spool, path_session_size(gw));
	w->bufs.cap = BUDGET_BUFS;
	w->loop = evl_new();
	w->scratch = malloc((size_t)gw->conf.buffer);
	if (!w->loop || !w->scratch)
		return -1;
	evl_on_check(w->loop, sessions_check, w);
	idle_start(w);
	hslog_init(&w->hslog, w->loop);
	w->wake.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->wake.fd < 0 || evl_fd_set(w->loop, &w->wake, EPOLLIN) < 0)
		return -1;
	w->res = resolver_new(w->loop, gw->conf.dns_servers,
			      gw->conf.timeout_ns);
	if (!w->res)
		return -1;
	return listener_enable(w, 1);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t one = 1;

	log_set_tag(w->tag);
	if (evl_run(w->loop) < 0)
		log_error("epoll_wait: %s", strerror(errno));
	stop_listening(w);
	evl_timer_stop(w->loop, &w->spread_timer);
	close_all(w, "gateway stopped");
	idle_stop(w);
	hslog_stop(&w->hslog);
	if (write(w->gw->done_fd, &one, sizeof(one)) < 0)
		log_error("eventfd write: %s", strerror(errno));
	return NULL;
}

int worker_start(struct worker *w)
{
	int err = pthread_create(&w->thread, NULL, worker_main, w);

	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

void worker_wake(struct worker *w)
{
	uint64_t one = 1;

	if (write(w->wake.fd, &one, sizeof(one)) < 0)
		log_error("eventfd write: %s", strerror(errno));
}

void worker_destroy(struct worker *w)
{
	resolver_free(w->res);
	if (w->wake.fd >= 0) {
		evl_fd_set(w->loop, &w->wake, 0);
		close(w->wake.fd);
	}
	evl_free(w->loop);
	pool_fini(&w->spool);
	pthread_mutex_destroy(&w->q_lock);
	pthread_mutex_destroy(&w->st.lock);
	pthread_cond_destroy(&w->st.cond);
	free(w->st.buf);
	free(w->q);
	free(w->scratch);
}
