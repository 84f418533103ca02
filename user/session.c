// SPDX-License-Identifier: MIT
/*
 * A session from accept to close: read the token line, have backend.c
 * connect, send "200" and the leftover bytes, then hand both sockets to a
 * forwarder. Every way out goes through session_close/reset/fail.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "fwd.h"
#include "gateway.h"
#include "log.h"
#include "session.h"
#include "token.h"

static const char code_text[CODE_MAX][4] = { "200", "400", "401", "502",
					     "504" };

static void cli_cb(struct ev_loop *loop, struct ev_io *w, uint32_t events);
static void be_cb(struct ev_loop *loop, struct ev_io *w, uint32_t events);
static void hs_timeout(struct ev_loop *loop, struct ev_timer *t);

/*
 * The handshake state (8.5 KiB, most of it the line buffer) goes once the
 * session forwards, and a promoted session's copy buffers once it moves.
 * Freed between the small blocks of live sessions, they stay in the
 * process's heap, resident: after a burst of such frees the worker hands
 * the free pages back (malloc_trim), at most once a second.
 */
#define TRIM_AFTER_BYTES (1u << 20)
#define TRIM_DELAY_NS 1000000000ull

static void trim_cb(struct ev_loop *loop, struct ev_timer *t)
{
	struct worker *w = container_of(t, struct worker, trim_timer);

	(void)loop;
	w->setup_freed = 0;
	malloc_trim(0);
}

void session_freed(struct worker *w, size_t n)
{
	w->setup_freed += n;
	if (w->setup_freed >= TRIM_AFTER_BYTES &&
	    !ev_timer_active(&w->trim_timer)) {
		ev_timer_init(&w->trim_timer, trim_cb);
		ev_timer_start(w->loop, &w->trim_timer, TRIM_DELAY_NS);
	}
}

static void setup_free(struct session *s)
{
	if (!s->setup)
		return;
	free(s->setup->addr);
	free(s->setup);
	s->setup = NULL;
	session_freed(s->w, sizeof(struct sess_setup));
}

int session_new(struct worker *w, int fd, const union sg_addr *peer)
{
	struct gateway *gw = w->gw;
	struct session *s = pool_get(&w->spool);
	int one = 1;

	if (s)
		s->setup = malloc(sizeof(*s->setup));
	if (!s || !s->setup) {
		log_warn("accept: out of memory, dropping a client");
		if (s)
			pool_put(&w->spool, s);
		close(fd);
		return -1;
	}
	/* all but the 8 KiB line buffer, which is filled before it is read */
	memset(&s->setup->len, 0,
	       sizeof(*s->setup) - offsetof(struct sess_setup, len));
	s->w = w;
	sg_caddr_set(&s->cli_addr, &peer->sa);
	s->start_ns = ev_now(w->loop);
	s->state = SESS_HANDSHAKE;
	ev_io_init(&s->cli, fd, cli_cb);
	ev_io_init(&s->be, -1, be_cb);
	ev_timer_init(&s->timer, hs_timeout);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	s->next = w->sessions;
	if (w->sessions)
		w->sessions->prev = s;
	w->sessions = s;
	w->nsessions++;
	metric_add(gw->m.active, 1);

	if (ev_io_set(w->loop, &s->cli, EPOLLIN) < 0 ||
	    ev_timer_start(w->loop, &s->timer,
			   gw->conf.handshake_timeout_ns) < 0) {
		session_close(s, "cannot watch the client socket");
		return -1;
	}
	return 0;
}

void sg_caddr_set(struct sg_caddr *c, const struct sockaddr *sa)
{
	memset(c, 0, sizeof(*c));
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		memcpy(c->ip, &in6->sin6_addr, 16);
		c->port = ntohs(in6->sin6_port);
		c->family = AF_INET6;
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		memcpy(c->ip, &in->sin_addr, 4);
		c->port = ntohs(in->sin_port);
		c->family = AF_INET;
	}
}

void sg_caddr_fmt(const struct sg_caddr *c, char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (c->family != AF_INET && c->family != AF_INET6) {
		snprintf(out, len, "-");
		return;
	}
	inet_ntop(c->family, c->ip, host, sizeof(host));
	snprintf(out, len, c->family == AF_INET6 ? "[%s]:%u" : "%s:%u", host,
		 c->port);
}

/* The forwarder of s->mode; NULL before one runs (MODE_AUTO). */
static const struct fwd_ops *ops_of(const struct session *s)
{
	switch (s->mode) {
	case MODE_SOCKMAP:
		return &fwd_sockmap_ops;
	case MODE_SPLICE:
		return &fwd_splice_ops;
	case MODE_COPY:
		return &fwd_copy_ops;
	default:
		return NULL;
	}
}

static void close_fd(struct ev_loop *loop, struct ev_io *w, int rst)
{
	if (w->fd < 0)
		return;
	if (rst) {
		/* linger 0: close sends RST and drops unsent data */
		struct linger l = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(w->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	ev_io_close(loop, w);
}

static void session_end(struct session *s, const char *reason, int rst)
{
	struct worker *w = s->w;
	struct ev_loop *loop = w->loop;

	ev_timer_stop(loop, &s->timer);
	if (s->state == SESS_CONNECT)
		backend_abort(s);
	/* the forwarder first: the sockmap one reads the byte counters */
	if (s->state == SESS_FORWARD && ops_of(s))
		ops_of(s)->stop(s);
	if (log_min_level <= LOG_LVL_INFO) {
		char c[64], b[64];

		sg_caddr_fmt(&s->cli_addr, c, sizeof(c));
		sg_caddr_fmt(&s->be_addr, b, sizeof(b));
		log_info("session %s -> %s %s%s up=%llu down=%llu ms=%llu: %s",
			 c, b,
			 s->state >= SESS_FORWARD && ops_of(s) ? ops_of(s)->name : "-",
			 s->promoted ? " (after copy)" : "",
			 (unsigned long long)s->bytes_up,
			 (unsigned long long)s->bytes_down,
			 (unsigned long long)((ev_clock_ns() - s->start_ns) /
					      1000000),
			 reason);
	}
	close_fd(loop, &s->cli, rst);
	close_fd(loop, &s->be, rst);
	if (rst)
		metric_add(w->gw->m.resets, 1);
	setup_free(s);
	metric_add(w->gw->m.bytes_up, s->bytes_up);
	metric_add(w->gw->m.bytes_down, s->bytes_down);
	if (s->prev)
		s->prev->next = s->next;
	else
		w->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	w->nsessions--;
	metric_add(w->gw->m.active, -1);
	pool_put(&w->spool, s);
	worker_session_gone(w);
}

void session_close(struct session *s, const char *reason)
{
	session_end(s, reason, 0);
}

void session_reset(struct session *s, const char *reason)
{
	session_end(s, reason, 1);
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
		session_close(s, s->setup ? s->setup->host : "error reply");
		return;
	}
}

static void linger_timeout(struct ev_loop *loop, struct ev_timer *t)
{
	struct session *s = container_of(t, struct session, timer);

	(void)loop;
	session_close(s, s->setup ? s->setup->host : "error reply");
}

void session_fail(struct session *s, enum sg_code code, const char *reason)
{
	struct worker *w = s->w;
	struct sess_setup *u = s->setup;

	metric_add(w->gw->m.replies[code], 1);
	log_info("reply %s: %s", code_text[code], reason);
	if (s->state == SESS_CONNECT)
		backend_abort(s);
	close_fd(w->loop, &s->be, 0);
	ev_timer_stop(w->loop, &s->timer);
	s->state = SESS_LINGER;
	/* keep the reason for the close log line */
	snprintf(u->host, sizeof(u->host), "%s %s", code_text[code], reason);
	if (write(s->cli.fd, code_text[code], 3) != 3 ||
	    shutdown(s->cli.fd, SHUT_WR) < 0) {
		session_close(s, u->host);
		return;
	}
	ev_timer_init(&s->timer, linger_timeout);
	if (ev_io_set(w->loop, &s->cli, EPOLLIN) < 0 ||
	    ev_timer_start(w->loop, &s->timer, w->gw->conf.linger_ns) < 0) {
		session_close(s, u->host);
		return;
	}
	linger_read(s);
}

static void hs_timeout(struct ev_loop *loop, struct ev_timer *t)
{
	struct session *s = container_of(t, struct session, timer);

	(void)loop;
	session_fail(s, CODE_400, "handshake timeout");
}

static void hs_token(struct session *s, size_t line_len)
{
	struct gateway *gw = s->w->gw;
	struct token_addr addr;

	if (token_open(&gw->conf.secrets, s->setup->buf, line_len, &addr) < 0) {
		session_fail(s, CODE_401, "token did not decrypt to an address");
		return;
	}
	/* the token is secret-derived data: do not keep it around */
	memset(s->setup->buf, 0, line_len);
	ev_timer_stop(s->w->loop, &s->timer);
	/* the client stays watched: a client that sends more before the
	 * reply is unwatched then (cli_cb), the common one costs nothing */
	s->state = SESS_CONNECT;
	backend_start(s, &addr);
}

static void hs_read(struct session *s)
{
	struct sess_setup *u = s->setup;
	char *nl;

	for (;;) {
		size_t room = sizeof(u->buf) - u->len, line;
		ssize_t n = read(s->cli.fd, u->buf + u->len, room);

		if (n == 0) {
			session_fail(s, CODE_400, "EOF before the token line");
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				session_fail(s, CODE_400, strerror(errno));
			return;
		}
		s->hs_whole = (size_t)n < room; /* took all there was */
		nl = memchr(u->buf + u->len, '\n', (size_t)n);
		u->len += (uint32_t)n;
		if (nl) {
			line = (size_t)(nl - u->buf);
			u->left_off = (uint32_t)line + 1;
			s->line_len = (uint16_t)(line + 1);
			if (line > 0 && u->buf[line - 1] == '\r')
				line--;
			if (line > TOKEN_LINE_MAX) {
				session_fail(s, CODE_400, "token line too long");
				return;
			}
			hs_token(s, line);
			return;
		}
		/* no newline within the limit (+1 for a '\r') */
		if (u->len > TOKEN_LINE_MAX + 1) {
			session_fail(s, CODE_400, "token line too long");
			return;
		}
	}
}

/* The forwarder to fall back to when one cannot take a session. */
static const struct fwd_ops *fwd_next(const struct fwd_ops *ops)
{
	if (ops == &fwd_sockmap_ops)
		return &fwd_splice_ops;
	if (ops == &fwd_splice_ops)
		return &fwd_copy_ops;
	return NULL;
}

/* Bytes waiting in fd's receive queue; an error counts as some. */
static int unread(int fd)
{
	int n;

	return ioctl(fd, FIONREAD, &n) < 0 || n > 0;
}

static void fwd_begin(struct session *s)
{
	struct gateway *gw = s->w->gw;
	const struct fwd_ops *ops = gw->fwd;

	s->state = SESS_FORWARD;
	s->promote = gw->promote ? PROMOTE_LATER : 0;
	if (ops == &fwd_sockmap_ops && !s->hs_whole && unread(s->cli.fd)) {
		/* the verdict would be given the half-read skb whole: copy
		 * until no skb is half read */
		ops = &fwd_copy_ops;
		s->promote = PROMOTE_SOON;
		log_debug("the token line's read ended inside an skb: copy "
			  "first");
	}
	for (;;) {
		s->mode = (uint8_t)ops->mode;
		if (ops->start(s) == 0)
			break;
		if (!fwd_next(ops)) {
			s->mode = MODE_AUTO; /* none */
			session_reset(s, "cannot start forwarding (out of "
					 "memory or fds)");
			return;
		}
		log_info("%s cannot take a session (%s): %s instead", ops->name,
			 strerror(errno), fwd_next(ops)->name);
		ops = fwd_next(ops);
	}
	setup_free(s);
	metric_add(gw->m.mode_sessions[s->mode], 1);
	/* first pump: may end the session at once */
	ops_of(s)->io(s, NULL, 0);
}

void session_promote(struct session *s, const struct fwd_ops *to)
{
	struct gateway *gw = s->w->gw;
	const struct fwd_ops *from = ops_of(s);
	int err;

	s->promote = 0;
	from->stop(s);
	s->mode = (uint8_t)to->mode;
	if (to->start(s) == 0) {
		s->promoted = 1;
		metric_add(gw->m.promotions[to == &fwd_splice_ops], 1);
		log_debug("session moved from %s to %s after %llu ms", from->name,
			  to->name,
			  (unsigned long long)((ev_now(s->w->loop) - s->start_ns) /
					       1000000));
	} else {
		err = errno;
		s->mode = (uint8_t)from->mode;
		if (from->start(s) < 0) {
			s->mode = MODE_AUTO; /* none */
			session_reset(s, "cannot restart forwarding (out of "
					 "memory)");
			return;
		}
		log_info("%s cannot take a session (%s): it stays on %s",
			 to->name, strerror(err), from->name);
	}
	ops_of(s)->io(s, NULL, 0);
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
			return errno == EAGAIN || errno == EWOULDBLOCK ? EPOLLOUT
								       : -1;
		*off += (uint32_t)n;
	}
	return 0;
}

/* FLUSH: "200" to the client, leftover to the backend, then forward. */
static void flush(struct session *s)
{
	struct sess_setup *u = s->setup;
	uint32_t done = u->left_off;
	int cli_mask = write_rest(s->cli.fd, (const char *)u->reply,
				  &u->reply_off, 3);
	int be_mask = cli_mask < 0 ? 0
				   : write_rest(s->be.fd, u->buf, &u->left_off,
						u->len);

	s->bytes_up += u->left_off - done;
	if (cli_mask < 0 || be_mask < 0) {
		session_reset(s, cli_mask < 0 ? "client write failed"
					      : "backend write failed");
		return;
	}
	if (!cli_mask && !be_mask) {
		/* the forwarder sets the masks it wants from whatever the
		 * handshake left registered */
		fwd_begin(s);
		return;
	}
	if (ev_io_set(s->w->loop, &s->cli, (uint32_t)cli_mask) < 0 ||
	    ev_io_set(s->w->loop, &s->be, (uint32_t)be_mask) < 0) {
		session_reset(s, "epoll_ctl failed");
		return;
	}
}

void session_connected(struct session *s)
{
	struct gateway *gw = s->w->gw;
	int one = 1;

	ev_timer_stop(s->w->loop, &s->timer);
	setsockopt(s->be.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	metric_add(gw->m.replies[CODE_200], 1);
	memcpy(s->setup->reply, code_text[CODE_200], 3);
	s->setup->reply_off = 0;
	s->state = SESS_FLUSH;
	flush(s);
}

void backend_io(struct session *s, uint32_t events);

static void cli_cb(struct ev_loop *loop, struct ev_io *w, uint32_t events)
{
	struct session *s = container_of(w, struct session, cli);

	(void)loop;
	switch (s->state) {
	case SESS_HANDSHAKE:
		hs_read(s);
		break;
	case SESS_FLUSH:
		flush(s);
		break;
	case SESS_FORWARD:
		ops_of(s)->io(s, w, events);
		break;
	case SESS_LINGER:
		linger_read(s);
		break;
	default:
		/* resolving or connecting: its bytes wait in the socket */
		if (ev_io_set(loop, w, 0) < 0)
			session_reset(s, "epoll_ctl failed");
		break;
	}
}

static void be_cb(struct ev_loop *loop, struct ev_io *w, uint32_t events)
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
		ops_of(s)->io(s, w, events);
		break;
	default:
		break;
	}
}
