// SPDX-License-Identifier: MIT
/* The WebSocket opening handshake: the request's fields, the answers. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "edge/wsreq.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define PROTO_NAME "sockgate"

size_t wsreq_end(const char *buf, size_t len)
{
	const char *e = memmem(buf, len, "\r\n\r\n", 4);

	return e ? (size_t)(e - buf) + 4 : 0;
}

static int refuse(struct wsreq *r, int status, const char *why)
{
	r->status = status;
	r->why = why;
	return -1;
}

/* Is `word` one of the comma-separated tokens of v[0..n)? */
static int has_token(const char *v, size_t n, const char *word)
{
	size_t wl = strlen(word);

	while (n > 0) {
		size_t i = 0, len;

		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		v += i;
		n -= i;
		len = 0;
		while (len < n && v[len] != ',' && v[len] != ' ' &&
		       v[len] != '\t')
			len++;
		if (len == wl && !strncasecmp(v, word, wl))
			return 1;
		v += len;
		n -= len;
	}
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes s[0..n) in place; its new length, or -1: a bad escape. */
static long pct_decode(char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			s[o++] = s[i];
			continue;
		}
		if (i + 2 >= n)
			return -1;
		if (hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
			return -1;
		s[o++] = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
		i += 2;
	}
	return (long)o;
}

/* The token in the request target t[0..n): "/TOKEN" or "?token=TOKEN". */
static int target_token(char *t, size_t n, struct wsreq *r)
{
	char *q = memchr(t, '?', n);
	char *tok = NULL;
	size_t tl = 0;
	long dl;

	if (q) {
		/* the query's token=, among other parameters */
		for (char *p = q + 1; p < t + n;) {
			char *amp = memchr(p, '&', (size_t)(t + n - p));
			char *end = amp ? amp : t + n;

			if (end - p > 6 && !memcmp(p, "token=", 6)) {
				tok = p + 6;
				tl = (size_t)(end - tok);
			}
			p = end + 1;
		}
	}
	if (!tok && n > 1) {
		/* everything after the first '/': a legacy token's '/' may
		 * come unescaped */
		tok = t + 1;
		tl = (size_t)((q ? q : t + n) - tok);
	}
	if (!tok || tl == 0)
		return 0;
	dl = pct_decode(tok, tl);
	if (dl <= 0)
		return refuse(r, 400, "bad percent-escape in the token");
	r->token = tok;
	r->token_len = (size_t)dl;
	return 0;
}

/* Sec-WebSocket-Protocol: a subprotocol holding the token, or
 * "sockgate" alongside a token from the target. */
static void protocols(const char *v, size_t n, struct wsreq *r)
{
	int named = has_token(v, n, PROTO_NAME);

	while (n > 0) {
		size_t i = 0, len = 0;

		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		v += i;
		n -= i;
		while (len < n && v[len] != ',' && v[len] != ' ' &&
		       v[len] != '\t')
			len++;
		if (len && !r->token &&
		    !(len == strlen(PROTO_NAME) &&
		      !strncasecmp(v, PROTO_NAME, len))) {
			r->token = v;
			r->token_len = len;
			r->proto = v;
			r->proto_len = len;
		}
		v += len;
		n -= len;
	}
	if (named) {
		r->proto = PROTO_NAME;
		r->proto_len = strlen(PROTO_NAME);
	}
}

int wsreq_parse(char *req, size_t len, struct wsreq *r)
{
	char *line = req, *end = req + len, *target, *sp;
	const char *proto = NULL, *ver = NULL;
	size_t proto_len = 0, ver_len = 0, tlen;
	int upgrade = 0, connection = 0;

	memset(r, 0, sizeof(*r));
	if (len < 4 || memcmp(req, "GET ", 4))
		return refuse(r, 400, "not a GET request");
	target = req + 4;
	sp = memchr(target, ' ', (size_t)(end - target));
	if (!sp || end - sp < 10 || memcmp(sp, " HTTP/1.1\r\n", 11))
		return refuse(r, 400, "not an HTTP/1.1 request line");
	tlen = (size_t)(sp - target);
	line = sp + 11;
	while (line < end &&
	       !(line[0] == '\r' && line + 1 < end && line[1] == '\n')) {
		char *eol = memmem(line, (size_t)(end - line), "\r\n", 2);
		char *colon = eol ? memchr(line, ':', (size_t)(eol - line)) :
				    NULL;
		char *v;
		size_t vl;

		if (!colon)
			return refuse(r, 400, "a header line without ':'");
		v = colon + 1;
		while (v < eol && (*v == ' ' || *v == '\t'))
			v++;
		vl = (size_t)(eol - v);
		while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			vl--;
#define IS(name)                                       \
	((size_t)(colon - line) == sizeof(name) - 1 && \
	 !strncasecmp(line, name, sizeof(name) - 1))
		if (IS("Upgrade"))
			upgrade = has_token(v, vl, "websocket");
		else if (IS("Connection"))
			connection = has_token(v, vl, "upgrade");
		else if (IS("Sec-WebSocket-Key") && vl == 24 && v[22] == '=' &&
			 v[23] == '=')
			r->key = v;
		else if (IS("Sec-WebSocket-Key"))
			return refuse(r, 400,
				      "Sec-WebSocket-Key is not 16 "
				      "bytes in base64");
		else if (IS("Sec-WebSocket-Version"))
			ver = v, ver_len = vl;
		else if (IS("Sec-WebSocket-Protocol"))
			proto = v, proto_len = vl;
		else if (IS("Origin"))
			r->origin = v, r->origin_len = vl;
#undef IS
		line = eol + 2;
	}
	if (!upgrade)
		return refuse(r, 400, "no Upgrade: websocket");
	if (!connection)
		return refuse(r, 400, "no Connection: Upgrade");
	if (!r->key)
		return refuse(r, 400, "no Sec-WebSocket-Key");
	if (!ver || ver_len != 2 || memcmp(ver, "13", 2))
		return refuse(r, 400, "Sec-WebSocket-Version is not 13");
	if (target_token(target, tlen, r) < 0)
		return -1;
	if (proto)
		protocols(proto, proto_len, r);
	if (!r->token)
		return refuse(r, 400,
			      "no token (in the path, ?token= or "
			      "Sec-WebSocket-Protocol)");
	return 0;
}

int wsreq_origin_match(const char *pattern, const char *origin, size_t len)
{
	const char *star = strchr(pattern, '*');
	size_t pl = strlen(pattern), head, tail;

	if (!star)
		return pl == len && !strncasecmp(pattern, origin, len);
	head = (size_t)(star - pattern);
	tail = pl - head - 1;
	return len >= head + tail && !strncasecmp(pattern, origin, head) &&
	       !strncasecmp(star + 1, origin + len - tail, tail);
}

size_t wsreq_accept(const struct wsreq *r, char *buf, size_t cap)
{
	unsigned char in[24 + sizeof(WS_GUID) - 1], md[SHA_DIGEST_LENGTH];
	char acc[29];
	int n;

	memcpy(in, r->key, 24);
	memcpy(in + 24, WS_GUID, sizeof(WS_GUID) - 1);
	if (!EVP_Digest(in, sizeof(in), md, NULL, EVP_sha1(), NULL))
		return 0;
	EVP_EncodeBlock((unsigned char *)acc, md, sizeof(md));
	n = snprintf(buf, cap,
		     "HTTP/1.1 101 Switching Protocols\r\n"
		     "Upgrade: websocket\r\n"
		     "Connection: Upgrade\r\n"
		     "Sec-WebSocket-Accept: %s\r\n"
		     "%s%.*s%s"
		     "\r\n",
		     acc, r->proto ? "Sec-WebSocket-Protocol: " : "",
		     r->proto ? (int)r->proto_len : 0, r->proto ? r->proto : "",
		     r->proto ? "\r\n" : "");
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

size_t wsreq_refuse(int status, const char *why, char *buf, size_t cap)
{
	int n = snprintf(buf, cap,
			 "HTTP/1.1 %d %s\r\n"
			 "Content-Type: text/plain\r\n"
			 "Content-Length: %zu\r\n"
			 "Sec-WebSocket-Version: 13\r\n"
			 "Connection: close\r\n"
			 "\r\n"
			 "%s\n",
			 status, status == 403 ? "Forbidden" : "Bad Request",
			 strlen(why) + 1, why);

	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}
