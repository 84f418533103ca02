// SPDX-License-Identifier: MIT
/*
 * Backend connect: resolve the name if there is one (an SRV name: its
 * targets' addresses in the order to try), then connect without blocking.
 * An attempt walks the resolved addresses within one `timeout`; only
 * timeouts are retried (`retry` attempts in all, then 504); any other
 * failure on the last address answers 502 at once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "session/backend.h"
#include "daemon/gateway.h"
#include "core/log.h"
#include "session/resolve.h"

static struct stage_res attempt_start(struct session *s);

/*
 * Every address the destination resolved to must be allowed: the
 * gateway's own listeners never, and with --allow rules only what they
 * take. A refusal answers 401, the same as a bad token, so that it tells
 * a client nothing about the network. Then the first attempt starts.
 */
static struct stage_res checked_start(struct session *s)
{
	struct sess_setup *u = s->setup;
	struct gateway *gw = s->w->gw;
	int why = -1;

	pthread_rwlock_rdlock(&gw->keys_lock);
	for (int i = 0; i < u->naddr && why < 0; i++) {
		const struct sockaddr *sa = (struct sockaddr *)&u->addr[i];

		if (selfaddr_match(&gw->self, sa))
			why = 1;
		else if (gw->conf.allow.n && !allow_match(&gw->conf.allow, sa))
			why = 0;
	}
	pthread_rwlock_unlock(&gw->keys_lock);
	if (why < 0)
		return attempt_start(s);
	metric_add(gw->m.refused[why ? REFUSED_SELF : REFUSED_ALLOWLIST], 1);
	return why ? stage_fail(CODE_401, "destination is the gateway itself",
				NULL) :
		     stage_fail(CODE_401, "destination not allowed", NULL);
}

/* The destination as the token named it, for the log. */
static const char *dest(const struct sess_setup *u, char *buf, size_t len)
{
	if (u->srv)
		snprintf(buf, len, "%s (SRV)", u->host);
	else
		snprintf(buf, len, "%s:%u", u->host, u->port);
	return buf;
}

static struct stage_res fail_errno(struct session *s, const char *what, int err)
{
	struct sess_setup *u = s->setup;
	char d[272];

	snprintf(u->why, sizeof(u->why), "%s %s: %s", what,
		 dest(u, d, sizeof(d)), strerror(err));
	return stage_fail(CODE_502, u->why, NULL);
}

static void drop_fd(struct session *s)
{
	if (s->be.fd < 0)
		return;
	evl_fd_close(s->w->loop, &s->be);
}

/* Tries the addresses from u->cur on; returns once one is in progress. */
static struct stage_res try_addr(struct session *s)
{
	struct sess_setup *u = s->setup;

	while (u->cur < u->naddr) {
		struct sockaddr_storage *ss = &u->addr[u->cur];
		socklen_t len = ss->ss_family == AF_INET6 ?
					sizeof(struct sockaddr_in6) :
					sizeof(struct sockaddr_in);
		int fd = socket(ss->ss_family,
				SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		/* EMFILE/ENFILE/ENOBUFS: the gateway is out of resources,
		 * the client gets a defined answer */
		if (fd < 0)
			return fail_errno(s, "socket for", errno);
		if (connect(fd, (struct sockaddr *)ss, len) == 0 ||
		    errno == EINPROGRESS) {
			s->be.fd = fd;
			if (evl_fd_set(s->w->loop, &s->be, EPOLLOUT) < 0)
				return fail_errno(s, "epoll for", errno);
			return STAGE_OK; /* backend_io reports the outcome */
		}
		u->last_err = errno;
		close(fd);
		u->cur++;
	}
	return fail_errno(s, "connect", u->last_err);
}

struct stage_res backend_io(struct session *s, uint32_t events)
{
	struct sess_setup *u = s->setup;
	socklen_t len = sizeof(int);
	int err = 0;

	/* EPOLLOUT alone: connected; a failed connect adds EPOLLERR */
	if ((events & (EPOLLERR | EPOLLHUP)) &&
	    getsockopt(s->be.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == 0) {
		sg_caddr_set(&s->be_addr, (struct sockaddr *)&u->addr[u->cur]);
		evl_timer_stop(s->w->loop, &s->timer);
		return STAGE_NEXT;
	}
	drop_fd(s);
	u->last_err = err;
	u->cur++;
	return try_addr(s);
}

static struct stage_res attempt_timeout(struct session *s)
{
	struct sess_setup *u = s->setup;
	struct gateway *gw = s->w->gw;
	char d[272];

	drop_fd(s);
	metric_add(gw->m.connect_timeouts, 1);
	log_info("connect attempt %d/%d to %s timed out", u->attempt,
		 gw->conf.retry, dest(u, d, sizeof(d)));
	if (u->attempt < gw->conf.retry)
		return attempt_start(s);
	return stage_fail(CODE_504, "every connect attempt timed out", NULL);
}

static struct stage_res attempt_start(struct session *s)
{
	struct sess_setup *u = s->setup;
	struct gateway *gw = s->w->gw;

	if (u->attempt++ == 0)
		u->connect_ns = evl_now(s->w->loop);
	u->cur = 0;
	metric_add(gw->m.connect_attempts, 1);
	if (evl_timer_start(s->w->loop, &s->timer, gw->conf.timeout_ns) < 0)
		return fail_errno(s, "timer for", ENOMEM);
	return try_addr(s);
}

struct stage_res backend_resolved(struct session *s, int status,
				  const char *err,
				  const struct sockaddr_storage *addrs, int n)
{
	struct sess_setup *u = s->setup;

	u->dns = NULL;
	evl_timer_stop(s->w->loop, &s->timer);
	if (status < 0) {
		snprintf(u->why, sizeof(u->why), "resolve %s: %s", u->host,
			 err);
		return stage_fail(CODE_502, u->why, NULL);
	}
	u->addr = malloc((size_t)n * sizeof(*addrs));
	if (!u->addr)
		return fail_errno(s, "resolve", ENOMEM);
	memcpy(u->addr, addrs, (size_t)n * sizeof(*addrs));
	u->naddr = n;
	return checked_start(s);
}

struct stage_res backend_timeout(struct session *s)
{
	struct sess_setup *u = s->setup;

	if (!u->dns)
		return attempt_timeout(s);
	/* c-ares gives up after its own tries; this bounds them all */
	backend_abort(s);
	snprintf(u->why, sizeof(u->why), "resolve %s: timed out", u->host);
	return stage_fail(CODE_502, u->why, NULL);
}

struct stage_res backend_start(struct session *s, const struct token_addr *a,
			       resolve_cb resolved)
{
	struct sess_setup *u = s->setup;
	struct gateway *gw = s->w->gw;

	memcpy(u->host, a->host, sizeof(u->host));
	u->port = a->port;
	u->srv = a->srv;
	if (a->family == AF_UNSPEC) {
		u->dns = a->srv ?
				 resolver_srv(s->w->res, a->host, resolved, s) :
				 resolver_lookup(s->w->res, a->host, a->port,
						 resolved, s);
		if (!u->dns || evl_timer_start(s->w->loop, &s->timer,
					       gw->conf.timeout_ns) < 0)
			return fail_errno(s, "resolve", ENOMEM);
		return STAGE_OK;
	}
	u->addr = calloc(1, sizeof(*u->addr));
	if (!u->addr)
		return fail_errno(s, "connect", ENOMEM);
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)u->addr;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(a->port);
		sin->sin_addr = a->ip.v4;
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)u->addr;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(a->port);
		sin6->sin6_addr = a->ip.v6;
	}
	u->naddr = 1;
	return checked_start(s);
}

void backend_abort(struct session *s)
{
	if (session_setup(s) && s->setup->dns) {
		resolver_cancel(s->setup->dns);
		s->setup->dns = NULL;
	}
}
