// SPDX-License-Identifier: MIT
/*
 * Asynchronous name resolution: a c-ares channel per worker, its sockets
 * watched by the worker's epoll loop and its timeouts by a loop timer.
 */
#include <ares.h>
#include <errno.h>
#include <stddef.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "ev.h"
#include "log.h"
#include "resolve.h"

struct ares_watch {
	struct ev_io io;
	struct resolver *r;
	struct ares_watch *next;
};

struct resolver {
	ares_channel ch;
	struct ev_loop *loop;
	struct ev_timer timer;
	struct ares_watch *watches;
};

struct resolve_req {
	struct resolver *r;
	resolve_cb cb; /* NULL once cancelled */
	void *arg;
	uint16_t port;
	uint8_t in_call; /* inside ares_getaddrinfo() */
	uint8_t done;	 /* answered during it: delivered by t */
	int status, n;
	struct ev_timer t;
	struct sockaddr_storage addrs[8];
};

static void resolver_rearm(struct resolver *r)
{
	struct timeval tv, *tvp = ares_timeout(r->ch, NULL, &tv);

	ev_timer_stop(r->loop, &r->timer);
	if (tvp)
		ev_timer_start(r->loop, &r->timer,
			       (uint64_t)tvp->tv_sec * 1000000000ull +
				       (uint64_t)tvp->tv_usec * 1000ull);
}

static void watch_cb(struct ev_loop *loop, struct ev_io *w, uint32_t events)
{
	struct ares_watch *aw = container_of(w, struct ares_watch, io);
	struct resolver *r = aw->r;
	int fd = w->fd;

	(void)loop;
	ares_process_fd(
		r->ch,
		events & (EPOLLIN | EPOLLERR | EPOLLHUP) ? fd : ARES_SOCKET_BAD,
		events & EPOLLOUT ? fd : ARES_SOCKET_BAD);
	resolver_rearm(r);
}

static void timer_cb(struct ev_loop *loop, struct ev_timer *t)
{
	struct resolver *r = container_of(t, struct resolver, timer);

	(void)loop;
	ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	resolver_rearm(r);
}

/* c-ares tells us which of its sockets to watch. */
static void sock_state_cb(void *data, ares_socket_t fd, int readable,
			  int writable)
{
	struct resolver *r = data;
	struct ares_watch **pp, *aw;
	uint32_t mask = (readable ? EPOLLIN : 0u) | (writable ? EPOLLOUT : 0u);

	for (pp = &r->watches; *pp; pp = &(*pp)->next)
		if ((*pp)->io.fd == fd)
			break;
	aw = *pp;
	if (!aw) {
		if (!mask)
			return;
		aw = calloc(1, sizeof(*aw));
		if (!aw) {
			log_error("resolver: out of memory");
			return;
		}
		ev_io_init(&aw->io, fd, watch_cb);
		aw->r = r;
		aw->next = r->watches;
		r->watches = aw;
	}
	if (ev_io_set(r->loop, &aw->io, mask) < 0)
		log_error("resolver: epoll_ctl: %s", strerror(errno));
	if (!mask) {
		for (pp = &r->watches; *pp != aw; pp = &(*pp)->next)
			;
		*pp = aw->next;
		free(aw);
	}
}

int resolver_global_init(void)
{
	return ares_library_init(ARES_LIB_INIT_ALL) == ARES_SUCCESS ? 0 : -1;
}

struct resolver *resolver_new(struct ev_loop *loop, const char *servers,
			      uint64_t timeout_ns)
{
	struct resolver *r = calloc(1, sizeof(*r));
	struct ares_options o = { 0 };
	int st;

	if (!r)
		return NULL;
	r->loop = loop;
	ev_timer_init(&r->timer, timer_cb);
	o.sock_state_cb = sock_state_cb;
	o.sock_state_cb_data = r;
	/* two tries per server within one connect timeout */
	o.timeout = (int)(timeout_ns / 2000000);
	if (o.timeout < 100)
		o.timeout = 100;
	o.tries = 2;
	st = ares_init_options(&r->ch, &o,
			       ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS |
				       ARES_OPT_TRIES);
	if (st != ARES_SUCCESS) {
		log_error("resolver: %s", ares_strerror(st));
		free(r);
		return NULL;
	}
	if (servers) {
		st = ares_set_servers_ports_csv(r->ch, servers);
		if (st != ARES_SUCCESS) {
			log_error("resolver: --dns-server %s: %s", servers,
				  ares_strerror(st));
			ares_destroy(r->ch);
			free(r);
			return NULL;
		}
	}
	return r;
}

void resolver_free(struct resolver *r)
{
	if (!r)
		return;
	ares_destroy(r->ch); /* pending requests call back: ARES_EDESTRUCTION */
	while (r->watches) {
		struct ares_watch *aw = r->watches;

		r->watches = aw->next;
		ev_io_set(r->loop, &aw->io, 0);
		free(aw);
	}
	ev_timer_stop(r->loop, &r->timer);
	free(r);
}

static void deliver(struct resolve_req *req)
{
	if (req->cb)
		req->cb(req->arg, req->status == ARES_SUCCESS ? 0 : -1,
			ares_strerror(req->status), req->addrs, req->n);
	free(req);
}

static void deliver_cb(struct ev_loop *loop, struct ev_timer *t)
{
	(void)loop;
	deliver(container_of(t, struct resolve_req, t));
}

static void gai_cb(void *arg, int status, int timeouts,
		   struct ares_addrinfo *res)
{
	struct resolve_req *req = arg;
	int n = 0;

	(void)timeouts;
	if (status == ARES_SUCCESS && res) {
		for (struct ares_addrinfo_node *ai = res->nodes; ai && n < 8;
		     ai = ai->ai_next) {
			struct sockaddr_storage *ss = &req->addrs[n];

			if ((ai->ai_family != AF_INET &&
			     ai->ai_family != AF_INET6) ||
			    (size_t)ai->ai_addrlen > sizeof(*ss))
				continue;
			memset(ss, 0, sizeof(*ss));
			memcpy(ss, ai->ai_addr, (size_t)ai->ai_addrlen);
			if (ai->ai_family == AF_INET)
				((struct sockaddr_in *)ss)->sin_port =
					htons(req->port);
			else
				((struct sockaddr_in6 *)ss)->sin6_port =
					htons(req->port);
			n++;
		}
	}
	if (res)
		ares_freeaddrinfo(res);
	if (status == ARES_SUCCESS && n == 0)
		status = ARES_ENODATA;
	req->status = status;
	req->n = n;
	if (req->in_call)
		req->done = 1; /* the caller has no handle yet */
	else
		deliver(req);
}

struct resolve_req *resolver_lookup(struct resolver *r, const char *name,
				    uint16_t port, resolve_cb cb, void *arg)
{
	struct ares_addrinfo_hints hints = { .ai_family = AF_UNSPEC,
					     .ai_socktype = SOCK_STREAM };
	struct resolve_req *req = malloc(sizeof(*req));

	if (!req)
		return NULL;
	memset(req, 0, offsetof(struct resolve_req, addrs));
	req->r = r;
	req->cb = cb;
	req->arg = arg;
	req->port = port;
	ev_timer_init(&req->t, deliver_cb);
	/* c-ares answers a hosts-file hit or a bad name from inside the call */
	req->in_call = 1;
	ares_getaddrinfo(r->ch, name, NULL, &hints, gai_cb, req);
	req->in_call = 0;
	if (req->done && ev_timer_start(r->loop, &req->t, 0) < 0) {
		free(req);
		return NULL;
	}
	resolver_rearm(r);
	return req;
}

void resolver_cancel(struct resolve_req *req)
{
	req->cb = NULL;
	if (req->done) {
		ev_timer_stop(req->r->loop, &req->t);
		free(req);
	}
}
