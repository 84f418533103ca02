// SPDX-License-Identifier: MIT
/*
 * A session's life, from accept to close: the one owner of its watchers'
 * callbacks and of its end. The stages (session/handshake.c,
 * session/backend.c, fwd/path.c) report outcomes; this file moves the
 * session to the next stage, answers an error and lingers, or ends it.
 *
 *   HANDSHAKE --token--> CONNECT --connected--> FLUSH --all out--> FORWARD
 *       |                   |                     |                   |
 *       +-- 400/401 ------->+-- 401/502/504 --> LINGER --> end <-- done/reset
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/sock.h"
#include "daemon/gateway.h"
#include "auth/revoke.h"
#include "fwd/path.h"
#include "session/backend.h"
#include "session/handshake.h"
#include "session/life.h"
#include "sockgate.h"

static void report(struct session *s, struct stage_res r);

void session_end(struct session *s, const char *reason, int rst)
{
	evl_timer_stop(s->w->loop, &s->timer);
	if (s->state == SESS_CONNECT)
		backend_abort(s);
	/* the forwarder first: sockmap's adds the kernel's byte counts */
	path_stop(s);
	if (log_min_level <= LOG_LVL_INFO && !s->quiet &&
	    s->w->gw->conf.log_sessions) {
		char c[SG_ADDR_TEXT], b[SG_ADDR_TEXT], tid[TOKEN_ID_TEXT] = "-";
		char id[32];
		const char *path = s->state >= SESS_FORWARD ? path_name(s) :
							      "-";
		/* --log-format json: the same as members of its object */
		const struct log_kv kv[] = {
			{ "id", id, 0 },
			{ "token", tid, 0 },
			{ "client", c, 0 },
			{ "backend", b, 0 },
			{ "path", path, 0 },
			{ "after_copy", NULL, s->promoted },
			{ "up", NULL, s->bytes_up },
			{ "down", NULL, s->bytes_down },
			{ "ms", NULL, session_age_ms(s) },
			{ "reason", reason, 0 },
		};

		sg_caddr_fmt(&s->cli_addr, c, sizeof(c));
		sg_caddr_fmt(&s->be_addr, b, sizeof(b));
		if (session_tid(s))
			token_id_fmt(session_tid(s), tid);
		snprintf(id, sizeof(id), "%d-%llu", s->w->id,
			 (unsigned long long)s->start_ns);
		log_event(LOG_LVL_INFO, "session_end", kv,
			  sizeof(kv) / sizeof(kv[0]),
			  "session %s -> %s %s%s up=%llu down=%llu ms=%llu "
			  "token=%s: %s",
			  c, b, path, s->promoted ? " (after copy)" : "",
			  (unsigned long long)s->bytes_up,
			  (unsigned long long)s->bytes_down, session_age_ms(s),
			  tid, reason);
	}
	hist_observe(&s->w->gw->m.duration, hist_duration,
		     evl_now(s->w->loop) - s->start_ns);
	session_free(s, rst);
}

/* Acts on what a forwarder reported. */
static void act(struct session *s, struct fwd_res r)
{
	char msg[96];

	switch (r.act) {
	case FWD_DONE:
		session_end(s, r.what ? r.what : "done", 0);
		break;
	case FWD_RESET:
		if (r.side >= 0)
			snprintf(msg, sizeof(msg), "%s %s: %s",
				 r.side ? "backend" : "client", r.what,
				 strerror(r.err));
		else if (r.err)
			snprintf(msg, sizeof(msg), "%s: %s", r.what,
				 strerror(r.err));
		else
			snprintf(msg, sizeof(msg), "%s", r.what);
		session_end(s, msg, 1);
		break;
	default:
		break;
	}
}

/* LINGER: the reply is out and our write side shut; wait for the client's
 * EOF so that closing with unread input does not turn into an RST that
 * could destroy the reply before the client reads it. */
static void linger_read(struct session *s)
{
	char sink[4096];

	for (;;) {
		ssize_t n = read(s->cli.fd, sink, sizeof(sink));

		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		session_end(s, s->setup->why, 0);
		return;
	}
}

/* Answers an error code, then lingers briefly so the client reads it. */
static void fail(struct session *s, int code, const char *reason,
		 const char *kind)
{
	struct worker *w = s->w;
	struct sess_setup *u = s->setup;
	const char *text = sg_code_text((enum sg_code)code);
	char why[sizeof(u->why)];

	metric_add(w->gw->m.replies[code], 1);
	s->quiet = !hslog_admit(&w->hslog, code, kind);
	if (!s->quiet && w->gw->conf.log_sessions)
		log_info("reply %s: %s", text, reason);
	if (s->state == SESS_CONNECT)
		backend_abort(s);
	session_close_fd(s, &s->be, 0);
	evl_timer_stop(w->loop, &s->timer);
	session_set_state(s, SESS_LINGER);
	/* kept for the close log line (reason may be u->why itself) */
	snprintf(why, sizeof(why), "%s %s", text, reason);
	memcpy(u->why, why, sizeof(why));
	/* the reason without the code that why starts with */
	if (handshake_refuse(s, code, u->why + SG_STATUS_LEN + 1) < 0) {
		session_end(s, u->why, 0);
		return;
	}
	if (evl_fd_set(w->loop, &s->cli, EPOLLIN) < 0 ||
	    evl_timer_start(w->loop, &s->timer, w->gw->conf.linger_ns) < 0) {
		session_end(s, u->why, 0);
		return;
	}
	linger_read(s);
}

/* FLUSH is over: a path takes the session. */
static void forward(struct session *s)
{
	hist_observe(&s->w->gw->m.handshake_time, hist_latency,
		     evl_now(s->w->loop) - s->start_ns);
	session_set_state(s, SESS_FORWARD);
	if (path_start(s) < 0) {
		session_end(s, "cannot start forwarding (out of memory or fds)",
			    1);
		return;
	}
	session_setup_free(s);
	/* the first pump: may end the session at once */
	act(s, path_io(s, NULL, 0));
}

/* A name's answer for a connecting session (session/resolve.h). */
static void resolved(void *arg, int status, const char *err,
		     const struct sockaddr_storage *addrs, int n)
{
	struct session *s = arg;

	report(s, backend_resolved(s, status, err, addrs, n));
}

/* A stage's report: the next stage when it is DONE. */
static void report(struct session *s, struct stage_res r)
{
	switch (r.act) {
	case STAGE_WAIT:
		return;
	case STAGE_FAIL:
		fail(s, r.code, r.why, r.kind);
		return;
	case STAGE_END:
		session_end(s, r.why, r.rst);
		return;
	}
	/* DONE: handshake() takes the token line's itself */
	if (s->state == SESS_CONNECT) {
		hist_observe(&s->w->gw->m.connect_time, hist_latency,
			     evl_now(s->w->loop) - s->setup->connect_ns);
		report(s, handshake_connected(s));
	} else if (s->state == SESS_FLUSH)
		forward(s);
}

static void handshake(struct session *s)
{
	struct token_addr addr;
	struct stage_res r = handshake_read(s, &addr);

	if (r.act != STAGE_DONE) {
		report(s, r);
		return;
	}
	evl_timer_stop(s->w->loop, &s->timer);
	/* the client stays watched: a client that sends more before the
	 * reply is unwatched then (cli_cb), the common one costs nothing */
	session_set_state(s, SESS_CONNECT);
	report(s, backend_start(s, &addr, resolved));
}

static void cli_cb(struct evl *loop, struct evl_fd *w, uint32_t events)
{
	struct session *s = container_of(w, struct session, cli);

	switch (s->state) {
	case SESS_HANDSHAKE:
		handshake(s);
		break;
	case SESS_CONNECT:
		/* its bytes wait in the socket until the backend is there */
		if (evl_fd_set(loop, w, 0) < 0)
			session_end(s, "epoll_ctl failed", 1);
		break;
	case SESS_FLUSH:
		report(s, handshake_flush(s));
		break;
	case SESS_FORWARD:
		act(s, path_io(s, w, events));
		break;
	case SESS_LINGER:
		linger_read(s);
		break;
	}
}

static void be_cb(struct evl *loop, struct evl_fd *w, uint32_t events)
{
	struct session *s = container_of(w, struct session, be);

	(void)loop;
	switch (s->state) {
	case SESS_CONNECT:
		report(s, backend_io(s, events));
		break;
	case SESS_FLUSH:
		report(s, handshake_flush(s));
		break;
	case SESS_FORWARD:
		act(s, path_io(s, w, events));
		break;
	default:
		break;
	}
}

static void timer_cb(struct evl *loop, struct evl_timer *t)
{
	struct session *s = container_of(t, struct session, timer);

	(void)loop;
	switch (s->state) {
	case SESS_HANDSHAKE:
		fail(s, CODE_400, "handshake timeout", "handshake timeout");
		break;
	case SESS_CONNECT:
		report(s, backend_timeout(s));
		break;
	case SESS_FORWARD:
		act(s, path_timer(s));
		break;
	case SESS_LINGER:
		session_end(s, s->setup->why, 0);
		break;
	default:
		break;
	}
}

void session_kernel_event(struct worker *w, uint64_t cookie)
{
	struct fwd_res r;
	struct session *s = path_event(w, cookie, &r);

	if (s)
		act(s, r);
}

int session_evict(struct worker *w, int young)
{
	struct session *s = session_oldest_handshake(w);
	char sink[4096];
	int n;

	if (!s || (!young && session_age_ms(s) < HANDSHAKE_EVICT_AGE_MS))
		return 0;
	metric_add(w->gw->m.refused[REFUSED_EVICTED], 1);
	metric_add(w->gw->m.replies[CODE_400], 1);
	s->quiet = !hslog_admit(&w->hslog, CODE_400, "handshake evicted");
	if (!s->quiet)
		log_info("reply 400: handshake slot taken by a newer client");
	/* what it sent is read, so that closing sends FIN, not RST, and
	 * the 400 arrives; no linger: the slot is what is needed */
	while (read(s->cli.fd, sink, sizeof(sink)) > 0)
		;
	/* a client gone meanwhile: nothing to tell it */
	n = handshake_refuse(s, CODE_400, "handshake slot taken");
	session_end(s,
		    n == 0 ? "400 handshake slot taken by a newer client" :
			     "handshake slot taken by a newer client",
		    0);
	return 1;
}

void session_accept(struct worker *w, int fd, const union sg_addr *peer)
{
	struct gateway *gw = w->gw;
	long cap = (gw->conf.max_handshakes + gw->nworkers - 1) / gw->nworkers;
	struct sg_caddr ca;
	struct session *s;
	int counted;

	/* one address may hold at most --max-conns-per-ip connections: the
	 * ones over are reset (cheapest for both sides, and no status that
	 * a client would take for a verdict on its token) */
	sg_caddr_set(&ca, &peer->sa);
	/* --rate-per-ip first: a refused one is not counted anywhere */
	if (!iprate_take(&gw->iprate, &ca, evl_clock_ns())) {
		metric_add(gw->m.refused[REFUSED_RATE], 1);
		if (hslog_admit(&w->hslog, 0, "over --rate-per-ip"))
			log_info("reset a client over --rate-per-ip %ld",
				 gw->conf.rate_per_ip);
		sock_reset_close(fd);
		return;
	}
	counted = perip_take(&gw->perip, &ca);
	if (counted == 0) {
		metric_add(gw->m.refused[REFUSED_PER_IP], 1);
		if (hslog_admit(&w->hslog, 0, "over --max-conns-per-ip"))
			log_info("reset a client over --max-conns-per-ip %ld",
				 gw->conf.max_conns_per_ip);
		sock_reset_close(fd);
		return;
	}
	/* at the cap the oldest handshake gives way */
	if ((long)w->ss.hs_count >= cap)
		session_evict(w, 1);
	s = session_new(w, fd, peer, cli_cb, be_cb, timer_cb);
	if (!s) {
		if (counted == 1)
			perip_give(&gw->perip, &ca);
		return;
	}
	s->ip_counted = counted == 1;
	if (evl_fd_set(w->loop, &s->cli, EPOLLIN) < 0 ||
	    evl_timer_start(w->loop, &s->timer, gw->conf.handshake_timeout_ns) <
		    0)
		session_end(s, "cannot watch the client socket", 0);
	else if (gw->conf.defer_accept)
		/* its first bytes are most likely there: no wake-up more */
		handshake(s);
}
