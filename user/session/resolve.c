// SPDX-License-Identifier: MIT
/*
 * Asynchronous name resolution: a c-ares channel per worker, its sockets
 * watched by the worker's epoll loop and its timeouts by a loop timer.
 * A name's addresses (getaddrinfo), or an SRV record's: the record, then
 * each of its targets' addresses at once, in the order to try them.
 */
#include <ares.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <stddef.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/loop.h"
#include "core/log.h"
#include "session/resolve.h"
#include "session/srv.h"

/* Targets of an SRV record tried, and addresses kept of each. */
#define SRV_TARGETS 8
#define SRV_ADDRS 4

struct ares_watch {
	struct evl_fd io;
	struct resolver *r;
	struct ares_watch *next;
};

struct resolver {
	ares_channel ch;
	struct evl *loop;
	struct evl_timer timer;
	struct ares_watch *watches;
};

struct srv_state {
	int ntarget, pending;
	uint8_t querying; /* the SRV query is out: its answer frees */
	struct srv_target {
		struct resolve_req *owner, *q;
		uint16_t port;
		int n;
		struct sockaddr_storage addrs[SRV_ADDRS];
		char host[256];
	} t[SRV_TARGETS];
};

struct resolve_req {
	struct resolver *r;
	resolve_cb cb; /* NULL once cancelled */
	void *arg;
	struct srv_state *srv; /* an SRV lookup's */
	uint16_t port;
	uint8_t in_call; /* inside ares_getaddrinfo() or ares_search() */
	uint8_t done;	 /* answered during it: delivered by t */
	int status, n;
	struct evl_timer t;
	struct sockaddr_storage addrs[RESOLVE_MAX];
};

static void resolver_rearm(struct resolver *r)
{
	struct timeval tv, *tvp = ares_timeout(r->ch, NULL, &tv);

	evl_timer_stop(r->loop, &r->timer);
	if (tvp)
		evl_timer_start(r->loop, &r->timer,
				(uint64_t)tvp->tv_sec * 1000000000ull +
					(uint64_t)tvp->tv_usec * 1000ull);
}

static void watch_cb(struct evl *loop, struct evl_fd *w, uint32_t events)
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

static void timer_cb(struct evl *loop, struct evl_timer *t)
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
		evl_fd_init(&aw->io, fd, watch_cb);
		aw->r = r;
		aw->next = r->watches;
		r->watches = aw;
	}
	if (evl_fd_set(r->loop, &aw->io, mask) < 0)
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

struct resolver *resolver_new(struct evl *loop, const char *servers,
			      uint64_t timeout_ns)
{
	struct resolver *r = calloc(1, sizeof(*r));
	struct ares_options o = { 0 };
	int st;

	if (!r)
		return NULL;
	r->loop = loop;
	evl_timer_init(&r->timer, timer_cb);
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
		evl_fd_set(r->loop, &aw->io, 0);
		free(aw);
	}
	evl_timer_stop(r->loop, &r->timer);
	free(r);
}

static void req_free(struct resolve_req *req)
{
	free(req->srv);
	free(req);
}

static void deliver(struct resolve_req *req)
{
	if (req->cb)
		req->cb(req->arg, req->status == ARES_SUCCESS ? 0 : -1,
			ares_strerror(req->status), req->addrs, req->n);
	req_free(req);
}

/* The answer is in req: now, or after the call that started it. */
static void finish(struct resolve_req *req)
{
	if (req->in_call)
		req->done = 1; /* the caller has no handle yet */
	else
		deliver(req);
}

static void deliver_cb(struct evl *loop, struct evl_timer *t)
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
		for (struct ares_addrinfo_node *ai = res->nodes;
		     ai && n < RESOLVE_MAX; ai = ai->ai_next) {
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
	finish(req);
}

/* The target lookups still out: they will not call back. */
static void srv_cancel_targets(struct srv_state *st)
{
	for (int i = 0; i < st->ntarget; i++)
		if (st->t[i].q)
			resolver_cancel(st->t[i].q);
}

/* req's lookup is started: deliver an answer c-ares gave inside it. */
static struct resolve_req *started(struct resolve_req *req)
{
	req->in_call = 0;
	if (req->done && evl_timer_start(req->r->loop, &req->t, 0) < 0) {
		if (req->srv)
			srv_cancel_targets(req->srv);
		req_free(req);
		return NULL;
	}
	resolver_rearm(req->r);
	return req;
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
	evl_timer_init(&req->t, deliver_cb);
	/* c-ares answers a hosts-file hit or a bad name from inside the call */
	req->in_call = 1;
	ares_getaddrinfo(r->ch, name, NULL, &hints, gai_cb, req);
	return started(req);
}

/* One target's addresses are in: once all are, the list in order. */
static void target_done(void *arg, int status, const char *err,
			const struct sockaddr_storage *addrs, int n)
{
	struct srv_target *t = arg;
	struct resolve_req *req = t->owner;
	struct srv_state *st = req->srv;

	(void)err;
	t->q = NULL;
	t->n = status == 0 ? (n < SRV_ADDRS ? n : SRV_ADDRS) : 0;
	memcpy(t->addrs, addrs, (size_t)t->n * sizeof(*addrs));
	if (--st->pending > 0)
		return;
	req->n = 0;
	for (int i = 0; i < st->ntarget; i++)
		for (int j = 0; j < st->t[i].n && req->n < RESOLVE_MAX; j++)
			req->addrs[req->n++] = st->t[i].addrs[j];
	req->status = req->n ? ARES_SUCCESS : ARES_ENOTFOUND;
	finish(req);
}

static uint32_t uniform(uint32_t bound)
{
	return arc4random_uniform(bound);
}

/* The SRV answer: its targets in the order to try, each looked up. */
static void srv_cb(void *arg, int status, int timeouts, unsigned char *abuf,
		   int alen)
{
	struct resolve_req *req = arg;
	struct srv_state *st = req->srv;
	struct ares_srv_reply *reply = NULL;
	struct srv_rec *rec = NULL;
	int n = 0, all = 0;

	(void)timeouts;
	st->querying = 0;
	if (!req->cb) { /* cancelled while it was out */
		req_free(req);
		return;
	}
	if (status == ARES_SUCCESS)
		status = ares_parse_srv_reply(abuf, alen, &reply);
	/* every record is ordered, then the best SRV_TARGETS are kept: a
	 * server rotates its answers, so the first ones need not be best */
	for (struct ares_srv_reply *a = reply; a; a = a->next)
		all++;
	if (all && !(rec = calloc((size_t)all, sizeof(*rec))))
		status = ARES_ENOMEM;
	for (struct ares_srv_reply *a = rec ? reply : NULL; a; a = a->next) {
		/* "." is RFC 2782's "no such service here" */
		if (a->host[0] == '\0' || strcmp(a->host, ".") == 0)
			continue;
		rec[n++] = (struct srv_rec){ .prio = a->priority,
					     .weight = a->weight,
					     .port = a->port,
					     .host = a->host };
	}
	if (status == ARES_SUCCESS && n == 0)
		status = ARES_ENODATA;
	srv_order(rec, n, uniform);
	if (n > SRV_TARGETS)
		n = SRV_TARGETS;
	for (int i = 0; i < n; i++) {
		struct srv_target *t = &st->t[st->ntarget];

		t->owner = req;
		t->port = rec[i].port;
		snprintf(t->host, sizeof(t->host), "%s", rec[i].host);
		st->ntarget++;
		st->pending++;
	}
	/* started only once all are counted: none answers inside */
	for (int i = 0; i < st->ntarget; i++) {
		struct srv_target *t = &st->t[i];

		t->q = resolver_lookup(req->r, t->host, t->port, target_done,
				       t);
		if (!t->q)
			st->pending--;
	}
	free(rec);
	if (reply)
		ares_free_data(reply);
	if (st->pending > 0)
		return;
	req->status = status == ARES_SUCCESS ? ARES_ENOMEM : status;
	finish(req);
}

struct resolve_req *resolver_srv(struct resolver *r, const char *name,
				 resolve_cb cb, void *arg)
{
	struct resolve_req *req = calloc(1, sizeof(*req));

	if (!req || !(req->srv = calloc(1, sizeof(*req->srv)))) {
		free(req);
		return NULL;
	}
	req->r = r;
	req->cb = cb;
	req->arg = arg;
	evl_timer_init(&req->t, deliver_cb);
	req->in_call = 1;
	req->srv->querying = 1;
	ares_search(r->ch, name, ns_c_in, ns_t_srv, srv_cb, req);
	return started(req);
}

void resolver_cancel(struct resolve_req *req)
{
	req->cb = NULL;
	if (req->done) {
		evl_timer_stop(req->r->loop, &req->t);
		req_free(req);
		return;
	}
	if (!req->srv || req->srv->querying)
		return; /* its c-ares callback frees it */
	srv_cancel_targets(req->srv);
	req_free(req);
}
