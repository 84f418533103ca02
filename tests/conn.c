// SPDX-License-Identifier: MIT
/* Clients of the gateway in clear, in TLS and as WebSocket clients. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "conn.h"
#include "gwproc.h"
#include "sock.h"

SSL_CTX *cc_tls_ctx(const char *ca, int min_version, int max_version)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx)
		return NULL;
	if (ca && SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, ca ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
	if (min_version)
		SSL_CTX_set_min_proto_version(ctx, min_version);
	if (max_version)
		SSL_CTX_set_max_proto_version(ctx, max_version);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	return ctx;
}

static int wait_fd(int fd, short ev, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = ev };

	return poll(&p, 1, timeout_ms) > 0;
}

int cc_connect(struct cconn *c, const char *host, uint16_t port, SSL_CTX *ctx,
	       const char *name, char *err, size_t errlen)
{
	long end = ms_now() + 30000;

	memset(c, 0, sizeof(*c));
	c->fd = tcp_connect(host, port);
	if (c->fd < 0) {
		snprintf(err, errlen, "connect: %s", strerror(errno));
		return -1;
	}
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	if (!ctx)
		return 0;
	c->ssl = SSL_new(ctx);
	SSL_set_fd(c->ssl, c->fd);
	if (name) {
		SSL_set_tlsext_host_name(c->ssl, name);
		SSL_set1_host(c->ssl, name);
	}
	for (;;) {
		int r = SSL_connect(c->ssl), e;

		if (r == 1)
			return 0;
		e = SSL_get_error(c->ssl, r);
		if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) &&
		    ms_now() < end &&
		    wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
			    (int)(end - ms_now())))
			continue;
		snprintf(
			err, errlen, "TLS handshake: %s",
			ERR_peek_last_error() ?
				ERR_reason_error_string(ERR_peek_last_error()) :
				"EOF or timeout");
		ERR_clear_error();
		return -1;
	}
}

/* The transport under the framing. */
static ssize_t raw_write(struct cconn *c, const void *b, size_t n)
{
	size_t w;
	int r;

	if (!c->ssl)
		return send(c->fd, b, n, MSG_NOSIGNAL);
	r = SSL_write_ex(c->ssl, b, n, &w);
	if (r > 0)
		return (ssize_t)w;
	r = SSL_get_error(c->ssl, r);
	errno = r == SSL_ERROR_WANT_READ || r == SSL_ERROR_WANT_WRITE ? EAGAIN :
									EPIPE;
	ERR_clear_error();
	return -1;
}

static ssize_t raw_read(struct cconn *c, void *b, size_t n)
{
	size_t got;
	int r;

	if (!c->ssl)
		return read(c->fd, b, n);
	r = SSL_read_ex(c->ssl, b, n, &got);
	if (r > 0)
		return (ssize_t)got;
	r = SSL_get_error(c->ssl, r);
	ERR_clear_error();
	if (r == SSL_ERROR_ZERO_RETURN)
		return 0;
	if (r == SSL_ERROR_SYSCALL && errno == 0)
		return 0;
	errno = r == SSL_ERROR_WANT_READ || r == SSL_ERROR_WANT_WRITE ?
			EAGAIN :
			ECONNRESET;
	return -1;
}

/* All of buf through put (raw_write or cc_send), waiting up to
 * timeout_ms in all. 0, or -1. */
static int put_all(struct cconn *c,
		   ssize_t (*put)(struct cconn *, const void *, size_t),
		   const void *buf, size_t len, int timeout_ms)
{
	const char *p = buf;
	long end = ms_now() + timeout_ms;

	while (len) {
		ssize_t n = put(c, p, len);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EAGAIN && ms_now() < end &&
		    wait_fd(c->fd, POLLOUT, (int)(end - ms_now())))
			continue;
		return -1;
	}
	return 0;
}

/* Reads raw bytes until want of them are there; 0, or -1. */
static int raw_fill(struct cconn *c, size_t want, int timeout_ms)
{
	long end = ms_now() + timeout_ms;

	while (c->raw_len < want) {
		ssize_t n;

		if (c->raw_cap < want + 65536) {
			c->raw_cap = want + 65536;
			c->raw = realloc(c->raw, c->raw_cap);
		}
		n = raw_read(c, c->raw + c->raw_len, c->raw_cap - c->raw_len);
		if (n > 0) {
			c->raw_len += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EAGAIN && timeout_ms > 0 &&
		    ms_now() < end &&
		    wait_fd(c->fd, POLLIN, (int)(end - ms_now())))
			continue;
		return n == 0 ? -2 : -1;
	}
	return 0;
}

static void raw_drop(struct cconn *c, size_t n)
{
	memmove(c->raw, c->raw + n, c->raw_len - n);
	c->raw_len -= n;
}

int cc_token(struct cconn *c, const char *token)
{
	char line[8192], code[4] = "";
	int n = snprintf(line, sizeof(line), "%s\n", token);

	if (put_all(c, raw_write, line, (size_t)n, 30000) < 0)
		return 0;
	if (cc_recv_full(c, code, 3, 30000) != 3)
		return 0;
	return atoi(code);
}

int cc_ws_open(struct cconn *c, const char *target, const char *extra)
{
	char req[8192], key[32];
	unsigned char nonce[16];
	char *end;
	int n;

	RAND_bytes(nonce, sizeof(nonce));
	EVP_EncodeBlock((unsigned char *)key, nonce, sizeof(nonce));
	n = snprintf(req, sizeof(req),
		     "GET %s HTTP/1.1\r\nHost: localhost\r\n"
		     "Upgrade: websocket\r\nConnection: Upgrade\r\n"
		     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
		     "%s\r\n",
		     target, key, extra ? extra : "");
	if (put_all(c, raw_write, req, (size_t)n, 30000) < 0)
		return 0;
	c->ws = 1;
	for (size_t want = 1;; want = c->raw_len + 1) {
		if (raw_fill(c, want, 30000) < 0)
			return 0;
		end = memmem(c->raw, c->raw_len, "\r\n\r\n", 4);
		if (end)
			break;
	}
	n = (int)(end - (char *)c->raw) + 4;
	snprintf(c->head, sizeof(c->head), "%.*s", n, (char *)c->raw);
	raw_drop(c, (size_t)n);
	return atoi(c->head + 9);
}

int cc_ws_frame(struct cconn *c, int fin, int op, int mask, const void *data,
		size_t len)
{
	uint8_t *f = malloc(len + 14);
	uint8_t key[4];
	size_t h = 2;
	int r;

	f[0] = (uint8_t)((fin ? 0x80 : 0) | op);
	if (len < 126) {
		f[1] = (uint8_t)len;
	} else if (len < 65536) {
		f[1] = 126;
		f[2] = (uint8_t)(len >> 8);
		f[3] = (uint8_t)len;
		h = 4;
	} else {
		f[1] = 127;
		for (int i = 0; i < 8; i++)
			f[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
		h = 10;
	}
	if (mask) {
		f[1] |= 0x80;
		RAND_bytes(key, 4);
		memcpy(f + h, key, 4);
		h += 4;
	}
	for (size_t i = 0; i < len; i++)
		f[h + i] = (uint8_t)(((const uint8_t *)data)[i] ^
				     (mask ? key[i % 4] : 0));
	r = put_all(c, raw_write, f, h + len, 30000);
	free(f);
	return r;
}

/* A whole frame in raw: its header's and payload's lengths; 0: not yet. */
static int frame_at(const struct cconn *c, size_t *hlen, uint64_t *plen)
{
	const uint8_t *r = c->raw;
	size_t h = 2;
	uint64_t n;

	if (c->raw_len < 2)
		return 0;
	n = r[1] & 127;
	if (n == 126) {
		if (c->raw_len < 4)
			return 0;
		n = (uint64_t)r[2] << 8 | r[3];
		h = 4;
	} else if (n == 127) {
		if (c->raw_len < 10)
			return 0;
		n = 0;
		for (int i = 0; i < 8; i++)
			n = n << 8 | r[2 + i];
		h = 10;
	}
	*hlen = h;
	*plen = n;
	return c->raw_len >= h + n;
}

/* A Close frame's code and reason kept. */
static void closed(struct cconn *c, const uint8_t *p, size_t n)
{
	c->closed = 1;
	c->close_code = n >= 2 ? p[0] << 8 | p[1] : 1005;
	snprintf(c->close_reason, sizeof(c->close_reason), "%.*s",
		 n > 2 ? (int)(n - 2) : 0, (const char *)p + 2);
}

int cc_ws_next(struct cconn *c, uint8_t *buf, size_t cap, size_t *len,
	       int timeout_ms)
{
	long end = ms_now() + timeout_ms;
	size_t h;
	uint64_t n;
	int op;

	while (!frame_at(c, &h, &n)) {
		if (ms_now() >= end ||
		    raw_fill(c, c->raw_len + 1, (int)(end - ms_now())) < 0)
			return -1;
	}
	op = c->raw[0] & 15;
	*len = n < cap ? (size_t)n : cap;
	memcpy(buf, c->raw + h, *len);
	if (op == 8)
		closed(c, c->raw + h, (size_t)n);
	raw_drop(c, h + (size_t)n);
	return op;
}

int cc_ws_status(struct cconn *c)
{
	uint8_t b[16];
	size_t n;
	int op = cc_ws_next(c, b, sizeof(b), &n, 30000);

	if (op != 2 || n != 3)
		return 0;
	b[3] = 0;
	return atoi((char *)b);
}

static int flush_out(struct cconn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = raw_write(c, c->out + c->out_off,
				      c->out_len - c->out_off);

		if (n <= 0)
			return -1;
		c->out_off += (size_t)n;
	}
	c->out_len = c->out_off = 0;
	return 0;
}

ssize_t cc_send(struct cconn *c, const void *buf, size_t len)
{
	uint8_t key[4];

	if (!c->ws)
		return raw_write(c, buf, len);
	if (flush_out(c) < 0)
		return -1;
	if (len > 16384)
		len = 16384;
	if (!c->out)
		c->out = malloc(16384 + 14);
	c->out[0] = 0x82;
	c->out_len = 2;
	if (len < 126) {
		c->out[1] = (uint8_t)(0x80 | len);
	} else {
		c->out[1] = 0x80 | 126;
		c->out[2] = (uint8_t)(len >> 8);
		c->out[3] = (uint8_t)len;
		c->out_len = 4;
	}
	RAND_bytes(key, 4);
	memcpy(c->out + c->out_len, key, 4);
	c->out_len += 4;
	for (size_t i = 0; i < len; i++)
		c->out[c->out_len + i] =
			(uint8_t)(((const uint8_t *)buf)[i] ^ key[i % 4]);
	c->out_len += len;
	if (flush_out(c) < 0 && errno != EAGAIN)
		return -1;
	return (ssize_t)len;
}

ssize_t cc_recv(struct cconn *c, void *buf, size_t len)
{
	size_t h;
	uint64_t n;

	if (!c->ws)
		return raw_read(c, buf, len);
	for (;;) {
		if (c->pay_len) {
			size_t take = c->pay_len < len ? c->pay_len : len;

			memcpy(buf, c->raw + c->pay_off, take);
			c->pay_off += take;
			c->pay_len -= take;
			if (!c->pay_len)
				raw_drop(c, c->pay_off);
			return (ssize_t)take;
		}
		if (c->closed)
			return 0;
		if (frame_at(c, &h, &n)) {
			int op = c->raw[0] & 15;

			if (op == 8) {
				closed(c, c->raw + h, (size_t)n);
				raw_drop(c, h + (size_t)n);
				return 0;
			}
			if (op != 2 && op != 0) { /* pong, ping: skipped */
				raw_drop(c, h + (size_t)n);
				continue;
			}
			c->pay_off = h;
			c->pay_len = (size_t)n;
			if (!n)
				raw_drop(c, h);
			continue;
		}
		{
			int r = raw_fill(c, c->raw_len + 1, 0);

			if (r == -2)
				return 0;
			if (r < 0)
				return -1;
		}
	}
}

int cc_pending(const struct cconn *c)
{
	size_t h;
	uint64_t n;

	if (c->ws && (c->pay_len || frame_at(c, &h, &n)))
		return 1;
	return c->ssl && SSL_pending(c->ssl) > 0;
}

int cc_unsent(const struct cconn *c)
{
	return c->out_off < c->out_len;
}

int cc_shut(struct cconn *c)
{
	if (c->ws) {
		static const uint8_t bye[2] = { 0x03, 0xe8 }; /* 1000 */
		long end = ms_now() + 30000;

		while (flush_out(c) < 0 && errno == EAGAIN && ms_now() < end)
			wait_fd(c->fd, POLLOUT, 1000);
		return cc_ws_frame(c, 1, 8, 1, bye, 2);
	}
	if (c->ssl) {
		int r = SSL_shutdown(c->ssl);

		ERR_clear_error();
		if (r < 0)
			return -1;
	}
	return shutdown(c->fd, SHUT_WR);
}

int cc_send_all(struct cconn *c, const void *buf, size_t len, int timeout_ms)
{
	long end = ms_now() + timeout_ms;

	if (put_all(c, cc_send, buf, len, timeout_ms) < 0)
		return -1;
	while (cc_unsent(c)) {
		if (flush_out(c) == 0)
			break;
		if (errno != EAGAIN || ms_now() >= end)
			return -1;
		wait_fd(c->fd, POLLOUT, (int)(end - ms_now()));
	}
	return 0;
}

ssize_t cc_recv_full(struct cconn *c, void *buf, size_t len, int timeout_ms)
{
	char *p = buf;
	size_t got = 0;
	long end = ms_now() + timeout_ms;

	while (got < len) {
		ssize_t n = cc_recv(c, p + got, len - got);

		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n == 0)
			break;
		if (errno == EAGAIN && ms_now() < end && !cc_pending(c) &&
		    wait_fd(c->fd, POLLIN, (int)(end - ms_now())))
			continue;
		if (errno == EAGAIN && cc_pending(c))
			continue;
		return -1;
	}
	return (ssize_t)got;
}

void cc_close(struct cconn *c)
{
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	free(c->raw);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}
