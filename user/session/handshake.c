// SPDX-License-Identifier: MIT
/*
 * The stages before forwarding that speak the protocol: read the token
 * line (HANDSHAKE), and once the backend is connected send "200" and the
 * leftover bytes (FLUSH). Each call reports an outcome to session/life.c,
 * which owns the session.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "auth/claims.h"
#include "core/sock.h"
#include "auth/revoke.h"
#include "auth/token_v2.h"
#include "edge/edge.h"
#include "edge/tls.h"
#include "daemon/gateway.h"
#include "session/handshake.h"
#include "session/proxy.h"
#include "session/upgrade.h"
#include "session/session.h"
#include "sockgate.h"

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

/* write_rest() through the client's edge, whose queue must empty too. */
static int edge_rest(struct edge *e, const char *buf, uint32_t *off,
		     uint32_t len)
{
	while (*off < len) {
		ssize_t n = edge_write(e, buf + *off, len - *off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ?
				       (int)(EPOLLOUT | edge_events(e)) :
				       -1;
		*off += (uint32_t)n;
	}
	if (edge_flush(e) < 0)
		return errno == EAGAIN ? (int)(EPOLLOUT | edge_events(e)) : -1;
	return 0;
}

struct stage_res handshake_flush(struct session *s)
{
	struct sess_setup *u = s->setup;
	uint32_t done = u->left_off;
	int cli_mask = u->edge ? edge_rest(u->edge, (const char *)u->reply,
					   &u->reply_off, SG_STATUS_LEN) :
				 write_rest(s->cli.fd, (const char *)u->reply,
					    &u->reply_off, SG_STATUS_LEN);
	int be_mask = cli_mask < 0 ?
			      0 :
			      write_rest(s->be.fd, (const char *)u->proxy,
					 &u->proxy_off, s->proxy_len);

	if (be_mask == 0)
		be_mask = write_rest(s->be.fd, u->buf, &u->left_off, u->len);

	s->bytes_up += u->left_off - done;
	if (cli_mask < 0 || be_mask < 0)
		return stage_end(cli_mask < 0 ? "client write failed" :
						"backend write failed",
				 1);
	/* all out: the forwarder sets the masks it wants from whatever the
	 * handshake left registered */
	if (!cli_mask && !be_mask)
		return STAGE_NEXT;
	if (evl_fd_set(s->w->loop, &s->cli, (uint32_t)cli_mask) < 0 ||
	    evl_fd_set(s->w->loop, &s->be, (uint32_t)be_mask) < 0)
		return stage_end("epoll_ctl failed", 1);
	return STAGE_OK;
}

struct stage_res handshake_connected(struct session *s)
{
	/* keepalive once it forwards: fwd/path.c */
	sock_nodelay(s->be.fd);
	metric_add(s->w->gw->m.replies[CODE_200], 1);
	if (s->w->gw->conf.proxy_protocol) {
		int n = proxy_header(s->w->gw->conf.proxy_protocol, s->cli.fd,
				     s->setup->proxy, sizeof(s->setup->proxy));

		if (n < 0)
			return stage_end("cannot read the client's addresses "
					 "for the PROXY header",
					 1);
		s->proxy_len = (uint8_t)n;
	}
	memcpy(s->setup->reply, sg_code_text(CODE_200), SG_STATUS_LEN);
	s->setup->reply_off = 0;
	session_set_state(s, SESS_FLUSH);
	return handshake_flush(s);
}

/* A refusal of a token that opened: its reason counted. */
static const char *refuse(struct gateway *gw, enum refusal r, const char *why)
{
	metric_add(gw->m.refused[r], 1);
	return why;
}

/* Is what the token names revoked (auth/revoke.h)? NULL, or why. */
static const char *revoked_dest(struct session *s,
				const struct token_addr *addr)
{
	if (revoke_dest(&s->w->gw->conf.revoke, addr))
		return refuse(s->w->gw, REFUSED_REVOKED, "destination revoked");
	return NULL;
}

/*
 * A version 2 token's claims (auth/claims.h) against this client and
 * our clock less or plus the leeway. Counting a use comes last: a token
 * refused for anything else keeps its uses. NULL, or the reason.
 */
static const char *claims_check(struct session *s, const char *plain,
				size_t plen, uint64_t expiry,
				struct token_addr *addr)
{
	struct gateway *gw = s->w->gw;
	uint64_t now = (uint64_t)time(NULL),
		 leeway = gw->conf.leeway_ns / 1000000000u;
	struct token_claims c;
	struct sg_caddr peer = s->cli_addr;
	const char *why;
	size_t alen;

	if (claims_parse((const uint8_t *)plain, plen, &alen, &c, &why) < 0)
		return why;
	if (token_parse_addr(plain, alen, addr) < 0)
		return "token did not open to an address";
	if (c.has_not_before && now + leeway < c.not_before)
		return refuse(gw, REFUSED_NOT_BEFORE, "token not valid yet");
	if (c.has_client) {
		struct allow one = { .v = &c.client, .n = 1 };

		sg_caddr_unmap(&peer);
		if (!allow_match_caddr(&one, &peer))
			return refuse(gw, REFUSED_CLIENT,
				      "token bound to another client address");
	}
	if ((why = revoked_dest(s, addr)) || !c.uses)
		return why;
	if (!expiry)
		return "token has a use limit and no expiry";
	switch (uses_take(&gw->uses, s->setup->tid, c.uses, expiry + leeway,
			  now)) {
	case USES_OK:
		return NULL;
	case USES_SPENT:
		return refuse(gw, REFUSED_USED_UP, "token used up");
	default:
		return refuse(gw, REFUSED_USES_FULL,
			      "use table full (--token-uses-max): a "
			      "use-limited token refused");
	}
}

/*
 * The token: a version 2 one (auth/token_v2.h: authenticated, maybe
 * expiring, maybe with claims), or with --legacy-tokens on the openssl
 * enc form. NULL and the address, or the reason it is refused (every
 * refusal answers 401).
 */
static const char *token_check(struct session *s, const char *text,
			       size_t line_len, struct token_addr *addr)
{
	struct gateway *gw = s->w->gw;
	const char *why = NULL;
	char plain[TOKEN_ADDR_MAX + CLAIMS_MAX + 1];
	uint64_t expiry;
	size_t plen;
	int r;

	if (token_id(text, line_len, &s->setup->tid) < 0)
		s->setup->tid = 0; /* no token: it fails below */
	/* SIGHUP swaps the secrets under the write side */
	pthread_rwlock_rdlock(&gw->keys_lock);
	if (revoke_id(&gw->conf.revoke, s->setup->tid)) {
		why = refuse(gw, REFUSED_REVOKED, "token revoked");
	} else if (token_v2_is(text, line_len)) {
		/* the expiry checked against our clock less the leeway */
		r = token_v2_open(&gw->conf.secrets, text, line_len,
				  (uint64_t)time(NULL) -
					  gw->conf.leeway_ns / 1000000000u,
				  plain, sizeof(plain), &plen, &expiry);
		if (r == -2)
			why = "token expired";
		else if (r < 0)
			why = "token did not open to an address";
		else
			why = claims_check(s, plain, plen, expiry, addr);
		OPENSSL_cleanse(plain, sizeof(plain));
	} else if (!gw->conf.legacy_tokens) {
		why = "legacy token refused (--legacy-tokens off)";
	} else if (token_open(&gw->conf.secrets, text, line_len, addr) < 0) {
		why = "token did not decrypt to an address";
	} else {
		why = revoked_dest(s, addr);
	}
	pthread_rwlock_unlock(&gw->keys_lock);
	return why;
}

static struct stage_res handshake_token(struct session *s, char *text,
					size_t len, struct token_addr *addr)
{
	const char *why = token_check(s, text, len, addr);

	if (why)
		return stage_fail(CODE_401, why, why);
	/* the token is secret-derived data: do not keep it around */
	memset(text, 0, len);
	return STAGE_NEXT;
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

#define HS_FAIL(why) stage_fail(CODE_400, why, why)

/*
 * With TLS configured, the first byte tells: a ClientHello starts with
 * 0x16 (a handshake record), which neither a token line (base64) nor an
 * HTTP request can. Without TLS nothing is looked at: no extra syscall.
 */
static struct stage_res sniff(struct session *s)
{
	struct gateway *gw = s->w->gw;
	struct sess_setup *u = s->setup;
	unsigned char c;
	ssize_t n;
	SSL *ssl;

	if (!gw->tls) {
		u->sniffed = 1;
		return STAGE_NEXT;
	}
	n = recv(s->cli.fd, &c, 1, MSG_PEEK);
	if (n == 0)
		return HS_FAIL("EOF before the token line");
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ?
			       STAGE_OK :
			       HS_FAIL(strerror(errno));
	u->sniffed = 1;
	if (c != 0x16)
		return gw->conf.allow_plain ?
			       STAGE_NEXT :
			       stage_fail(CODE_400,
					  "a client in clear (TLS is required: "
					  "--allow-plain accepts both)",
					  "client in clear refused");
	pthread_rwlock_rdlock(&gw->keys_lock);
	ssl = tls_conn_new(gw->tls, s->cli.fd);
	pthread_rwlock_unlock(&gw->keys_lock);
	u->edge = ssl ? edge_new(s->cli.fd, ssl) : NULL;
	if (!u->edge) {
		SSL_free(ssl);
		return stage_end("out of memory for TLS", 1);
	}
	s->edge = EDGE_TLS;
	return STAGE_NEXT;
}

/* One step of the TLS handshake, under the token line's deadline. */
static struct stage_res tls_step(struct session *s)
{
	struct sess_setup *u = s->setup;
	struct edge_io *io = &u->edge->io;
	int r = eio_handshake(io, u->why, sizeof(u->why));

	if (r < 0)
		return stage_fail(CODE_400, u->why, "TLS handshake failed");
	if (evl_fd_set(s->w->loop, &s->cli, r ? EPOLLIN : io->hs_want) < 0)
		return stage_end("epoll_ctl failed", 1);
	return r ? STAGE_NEXT : STAGE_OK;
}

/* Does buf[0..len) start an HTTP request ("GET ", or a prefix of it)? */
static int http_start(const char *buf, size_t len)
{
	return !memcmp(buf, "GET ", len < 4 ? len : 4);
}

struct stage_res handshake_read(struct session *s, struct token_addr *addr)
{
	struct sess_setup *u = s->setup;
	struct stage_res r;
	char *nl;

	if (!u->sniffed && (r = sniff(s)).act != STAGE_DONE)
		return r;
	if (u->edge && !SSL_is_init_finished(u->edge->io.ssl) &&
	    (r = tls_step(s)).act != STAGE_DONE)
		return r;
	for (;;) {
		size_t room = sizeof(u->buf) - u->len, line;
		ssize_t n = u->edge ?
				    edge_read(u->edge, u->buf + u->len, room) :
				    read(s->cli.fd, u->buf + u->len, room);

		if (n == 0)
			return HS_FAIL("EOF before the token line");
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return HS_FAIL(strerror(errno));
			return STAGE_OK;
		}
		s->hs_whole = (size_t)n < room; /* took all there was */
		if (http_start(u->buf, u->len + (size_t)n)) {
			/* a WebSocket client: its request, not a line */
			char *tok;
			size_t tl;

			u->len += (uint32_t)n;
			r = upgrade_read(s, &tok, &tl);
			if (r.act == STAGE_DONE)
				return handshake_token(s, tok, tl, addr);
			if (r.act != STAGE_WAIT)
				return r;
			continue;
		}
		nl = memchr(u->buf + u->len, '\n', (size_t)n);
		/* a control byte in the line (a '\r' right before the '\n'
		 * aside) is no token: 400 at once, not at the timeout */
		if (control_byte(u->buf, u->len,
				 nl ? (size_t)(nl - u->buf) :
				      u->len + (size_t)n))
			return HS_FAIL("control byte in the token line");
		u->len += (uint32_t)n;
		if (nl) {
			line = (size_t)(nl - u->buf);
			u->left_off = (uint32_t)line + 1;
			s->line_len = (uint16_t)(line + 1);
			if (line > 0 && u->buf[line - 1] == '\r')
				line--;
			if (line > TOKEN_LINE_MAX)
				return HS_FAIL("token line too long");
			return handshake_token(s, u->buf, line, addr);
		}
		/* no newline within the limit (+1 for a '\r') */
		if (u->len > TOKEN_LINE_MAX + 1)
			return HS_FAIL("token line too long");
	}
}

int handshake_refuse(struct session *s, int code, const char *why)
{
	struct sess_setup *u = s->setup;

	if (u && u->edge)
		return edge_refuse(u->edge, code, u->http_status, why);
	if (write(s->cli.fd, sg_code_text((enum sg_code)code), SG_STATUS_LEN) !=
		    SG_STATUS_LEN ||
	    shutdown(s->cli.fd, SHUT_WR) < 0)
		return -1;
	return 0;
}
