// SPDX-License-Identifier: MIT
/*
 * A session up to forwarding: read the token line, have session/backend.c
 * connect, send "200" and the leftover bytes (FLUSH), then hand both
 * sockets to fwd/path.c; or answer an error code and linger until the
 * client has read it. Its callbacks own the session's watchers from
 * accept to close and dispatch on the state (session/session.h).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "session/backend.h"
#include "daemon/gateway.h"
#include "session/handshake.h"
#include "core/log.h"
#include "session/proxy.h"
#include "fwd/path.h"
#include "session/session.h"
#include "sockgate.h"
#include "auth/token_v2.h"

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
		session_end(s, s->setup->host, 0);
		return;
	}
}

/*
 * Answers an error code, then lingers briefly so the client reads it.
 * kind: reason when it is a constant, NULL when it names a host (the
 * summary under load counts by it: session/hslog.h).
 */
static void hs_fail_kind(struct session *s, int code, const char *reason,
			 const char *kind)
{
	struct worker *w = s->w;
	struct sess_setup *u = s->setup;
	const char *text = sg_code_text((enum sg_code)code);

	metric_add(w->gw->m.replies[code], 1);
	s->quiet = !hslog_admit(&w->hslog, code, kind);
	if (!s->quiet)
		log_info("reply %s: %s", text, reason);
	if (s->state == SESS_CONNECT)
		backend_abort(s);
	session_close_fd(s, &s->be, 0);
	evl_timer_stop(w->loop, &s->timer);
	session_set_state(s, SESS_LINGER);
	/* keep the reason for the close log line */
	snprintf(u->host, sizeof(u->host), "%s %s", text, reason);
	if (write(s->cli.fd, text, SG_STATUS_LEN) != SG_STATUS_LEN ||
	    shutdown(s->cli.fd, SHUT_WR) < 0) {
		session_end(s, u->host, 0);
		return;
	}
	if (evl_fd_set(w->loop, &s->cli, EPOLLIN) < 0 ||
	    evl_timer_start(w->loop, &s->timer, w->gw->conf.linger_ns) < 0) {
		session_end(s, u->host, 0);
		return;
	}
	linger_read(s);
}

static void hs_fail(struct session *s, int code, const char *reason)
{
	hs_fail_kind(s, code, reason, reason);
}

/*
 * Writes what is left of buf[*off..len) to fd. Returns 0 when all is
 * written, EPOLLOUT when the socket is full, -1 on an error.
 */
static int write_rest(int fd, const char *buf, uint32_t *off, uint32_t len)
{
	while (*off < len) {
		ssize_t n = send(fd, buf + *off, len - *off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ?
				       EPOLLOUT :
				       -1;
		*off += (uint32_t)n;
	}
	return 0;
}

/* FLUSH: "200" to the client; the PROXY header, then the leftover to
 * the backend; then forward. */
static void flush(struct session *s)
{
	struct sess_setup *u = s->setup;
	uint32_t done = u->left_off;
	int cli_mask = write_rest(s->cli.fd, (const char *)u->reply,
				  &u->reply_off, SG_STATUS_LEN);
	int be_mask = cli_mask < 0 ?
			      0 :
			      write_rest(s->be.fd, (const char *)u->proxy,
					 &u->proxy_off, s->proxy_len);

	if (be_mask == 0)
		be_mask = write_rest(s->be.fd, u->buf, &u->left_off, u->len);

	s->bytes_up += u->left_off - done;
	if (cli_mask < 0 || be_mask < 0) {
		session_end(s,
			    cli_mask < 0 ? "client write failed" :
					   "backend write failed",
			    1);
		return;
	}
	if (!cli_mask && !be_mask) {
		/* the forwarder sets the masks it wants from whatever the
		 * handshake left registered */
		path_start(s);
		return;
	}
	if (evl_fd_set(s->w->loop, &s->cli, (uint32_t)cli_mask) < 0 ||
	    evl_fd_set(s->w->loop, &s->be, (uint32_t)be_mask) < 0)
		session_end(s, "epoll_ctl failed", 1);
}

/* session/backend.c's report: connected (CODE_200), or the code to answer. */
static void connected(struct session *s, int code, const char *why)
{
	if (code != CODE_200) {
		hs_fail_kind(s, code, why, NULL);
		return;
	}
	evl_timer_stop(s->w->loop, &s->timer);
	session_tune_socket(s, s->be.fd);
	metric_add(s->w->gw->m.replies[CODE_200], 1);
	if (s->w->gw->conf.proxy_protocol) {
		int n = proxy_header(s->w->gw->conf.proxy_protocol, s->cli.fd,
				     s->setup->proxy, sizeof(s->setup->proxy));

		if (n < 0) {
			session_end(s,
				    "cannot read the client's addresses for "
				    "the PROXY header",
				    1);
			return;
		}
		s->proxy_len = (uint8_t)n;
	}
	memcpy(s->setup->reply, sg_code_text(CODE_200), SG_STATUS_LEN);
	s->setup->reply_off = 0;
	session_set_state(s, SESS_FLUSH);
	flush(s);
}

/*
 * The token: a version 2 one (auth/token_v2.h: authenticated, maybe expiring),
 * or with --legacy-tokens on the openssl enc form. 0 and the address, or
 * the reason it is refused (every refusal answers 401).
 */
static const char *token_check(struct session *s, size_t line_len,
			       struct token_addr *addr)
{
	struct gateway *gw = s->w->gw;
	const char *text = s->setup->buf, *why = NULL;
	char plain[TOKEN_ADDR_MAX + 1];
	uint64_t expiry;
	size_t plen;
	int r;

	/* SIGHUP swaps the secrets under the write side */
	pthread_rwlock_rdlock(&gw->keys_lock);
	if (token_v2_is(text, line_len)) {
		r = token_v2_open(&gw->conf.secrets, text, line_len,
				  (uint64_t)time(NULL), plain, sizeof(plain),
				  &plen, &expiry);
		if (r == -2)
			why = "token expired";
		else if (r < 0 || token_parse_addr(plain, plen, addr) < 0)
			why = "token did not open to an address";
		OPENSSL_cleanse(plain, sizeof(plain));
	} else if (!gw->conf.legacy_tokens) {
		why = "legacy token refused (--legacy-tokens off)";
	} else if (token_open(&gw->conf.secrets, text, line_len, addr) < 0) {
		why = "token did not decrypt to an address";
	}
	pthread_rwlock_unlock(&gw->keys_lock);
	return why;
}

static void hs_token(struct session *s, size_t line_len)
{
	struct token_addr addr;
	const char *why = token_check(s, line_len, &addr);

	if (why) {
		hs_fail(s, CODE_401, why);
		return;
	}
	/* the token is secret-derived data: do not keep it around */
	memset(s->setup->buf, 0, line_len);
	evl_timer_stop(s->w->loop, &s->timer);
	/* the client stays watched: a client that sends more before the
	 * reply is unwatched then (cli_cb), the common one costs nothing */
	session_set_state(s, SESS_CONNECT);
	backend_start(s, &addr, connected);
}

/* A byte below 0x20 or 0x7f in buf[from..to), where to is the line's
 * end (its newline) or what has been read; a '\r' as the line's last
 * byte is allowed, and one at the end of what has been read may be it. */
static int control_byte(const char *buf, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c >= 0x20 && c != 0x7f)
			continue;
		if (c == '\r' && i + 1 == to)
			continue;
		return 1;
	}
	return 0;
}

static void hs_read(struct session *s)
{
	struct sess_setup *u = s->setup;
	char *nl;

	for (;;) {
		size_t room = sizeof(u->buf) - u->len, line;
		ssize_t n = read(s->cli.fd, u->buf + u->len, room);

		if (n == 0) {
			hs_fail(s, CODE_400, "EOF before the token line");
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				hs_fail(s, CODE_400, strerror(errno));
			return;
		}
		s->hs_whole = (size_t)n < room; /* took all there was */
		nl = memchr(u->buf + u->len, '\n', (size_t)n);
		/* a control byte in the line (a '\r' right before the '\n'
		 * aside) is no token: 400 at once, not at the timeout */
		if (control_byte(u->buf, u->len,
				 nl ? (size_t)(nl - u->buf) :
				      u->len + (size_t)n)) {
			hs_fail(s, CODE_400, "control byte in the token line");
			return;
		}
		u->len += (uint32_t)n;
		if (nl) {
			line = (size_t)(nl - u->buf);
			u->left_off = (uint32_t)line + 1;
			s->line_len = (uint16_t)(line + 1);
			if (line > 0 && u->buf[line - 1] == '\r')
				line--;
			if (line > TOKEN_LINE_MAX) {
				hs_fail(s, CODE_400, "token line too long");
				return;
			}
			hs_token(s, line);
			return;
		}
		/* no newline within the limit (+1 for a '\r') */
		if (u->len > TOKEN_LINE_MAX + 1) {
			hs_fail(s, CODE_400, "token line too long");
			return;
		}
	}
}

static void cli_cb(struct evl *loop, struct evl_fd *w, uint32_t events)
{
	struct session *s = container_of(w, struct session, cli);

	switch (s->state) {
	case SESS_HANDSHAKE:
		hs_read(s);
		break;
	case SESS_CONNECT:
		/* its bytes wait in the socket until the backend is there */
		if (evl_fd_set(loop, w, 0) < 0)
			session_end(s, "epoll_ctl failed", 1);
		break;
	case SESS_FLUSH:
		flush(s);
		break;
	case SESS_FORWARD:
		path_io(s, w, events);
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
		backend_io(s, events);
		break;
	case SESS_FLUSH:
		flush(s);
		break;
	case SESS_FORWARD:
		path_io(s, w, events);
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
		hs_fail(s, CODE_400, "handshake timeout");
		break;
	case SESS_CONNECT:
		backend_timeout(s);
		break;
	case SESS_FORWARD:
		path_timer(s);
		break;
	case SESS_LINGER:
		session_end(s, s->setup->host, 0);
		break;
	default:
		break;
	}
}

int handshake_evict(struct worker *w, int young)
{
	struct session *s = session_oldest_handshake(w);
	char sink[4096];
	ssize_t n;

	if (!s || (!young && session_age_ms(s) < HANDSHAKE_EVICT_AGE_MS))
		return 0;
	metric_add(w->gw->m.evicted, 1);
	metric_add(w->gw->m.replies[CODE_400], 1);
	s->quiet = !hslog_admit(&w->hslog, CODE_400, "handshake evicted");
	if (!s->quiet)
		log_info("reply 400: handshake slot taken by a newer client");
	/* what it sent is read, so that closing sends FIN, not RST, and
	 * the 400 arrives; no linger: the slot is what is needed */
	while (read(s->cli.fd, sink, sizeof(sink)) > 0)
		;
	/* a client gone meanwhile: nothing to tell it */
	n = write(s->cli.fd, sg_code_text(CODE_400), SG_STATUS_LEN);
	session_end(s,
		    n == SG_STATUS_LEN ?
			    "400 handshake slot taken by a newer client" :
			    "handshake slot taken by a newer client",
		    0);
	return 1;
}

/* Closes an accepted socket with RST, at once. */
static void refuse(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

void handshake_accept(struct worker *w, int fd, const union sg_addr *peer)
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
	counted = perip_take(&gw->perip, &ca);
	if (counted == 0) {
		metric_add(gw->m.per_ip_resets, 1);
		if (hslog_admit(&w->hslog, 0, "over --max-conns-per-ip"))
			log_info("reset a client over --max-conns-per-ip %ld",
				 gw->conf.max_conns_per_ip);
		refuse(fd);
		return;
	}
	/* at the cap the oldest handshake gives way */
	if ((long)w->hs_count >= cap)
		handshake_evict(w, 1);
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
}
