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

#include "auth/token_v2.h"
#include "daemon/gateway.h"
#include "session/handshake.h"
#include "session/proxy.h"
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

struct stage_res handshake_flush(struct session *s)
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
	session_tune_socket(s, s->be.fd);
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

static struct stage_res hs_token(struct session *s, size_t line_len,
				 struct token_addr *addr)
{
	const char *why = token_check(s, line_len, addr);

	if (why)
		return stage_fail(CODE_401, why, why);
	/* the token is secret-derived data: do not keep it around */
	memset(s->setup->buf, 0, line_len);
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

struct stage_res handshake_read(struct session *s, struct token_addr *addr)
{
	struct sess_setup *u = s->setup;
	char *nl;

	for (;;) {
		size_t room = sizeof(u->buf) - u->len, line;
		ssize_t n = read(s->cli.fd, u->buf + u->len, room);

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
			return hs_token(s, line, addr);
		}
		/* no newline within the limit (+1 for a '\r') */
		if (u->len > TOKEN_LINE_MAX + 1)
			return HS_FAIL("token line too long");
	}
}
