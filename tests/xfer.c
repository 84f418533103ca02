// SPDX-License-Identifier: MIT
/* Integrity peers: seeded streams each way, checked by SHA-256. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "servers.h"
#include "sock.h"
#include "conn.h"
#include "xfer.h"

struct gen {
	uint64_t s;
	uint8_t buf[65536];
	size_t off, len;
};

static void gen_init(struct gen *g, uint64_t seed)
{
	g->s = seed * 0x9E3779B97F4A7C15ull + 1;
	g->off = g->len = 0;
}

static void gen_fill(struct gen *g, size_t len)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t x = g->s;

		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		g->s = x;
		x *= 0x2545F4914F6CDD1Dull;
		memcpy(g->buf + i, &x, 8);
	}
	g->off = 0;
	g->len = len;
}

/* SHA-256 of the first len bytes of the stream from seed. */
static void stream_hash(uint64_t seed, uint64_t len, uint8_t out[32])
{
	struct gen *g = malloc(sizeof(*g));
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	gen_init(g, seed);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	while (len > 0) {
		size_t n = len < sizeof(g->buf) ? (size_t)len : sizeof(g->buf);

		gen_fill(g, sizeof(g->buf));
		EVP_DigestUpdate(md, g->buf, n);
		len -= n;
	}
	EVP_DigestFinal_ex(md, out, NULL);
	EVP_MD_CTX_free(md);
	free(g);
}

/*
 * Full duplex on one socket: sends `send_len` bytes of the stream from
 * send_seed, then shuts the write side; reads to EOF, hashing. held: sends
 * nothing before the first byte came. Returns received bytes, or -1 on a
 * socket error or a 60 s stall.
 */
static int64_t duplex(struct cconn *c, uint64_t send_seed, uint64_t send_len,
		      int held, uint8_t hash[32], char *err, size_t errlen)
{
	struct gen *g = malloc(sizeof(*g));
	uint8_t *rbuf = malloc(65536);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint64_t sent = 0;
	int64_t got = 0;
	int wr_open = 1, rd_open = 1;

	gen_init(g, send_seed);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	if (send_len == 0) {
		cc_shut(c);
		wr_open = 0;
	}
	while (rd_open || wr_open) {
		int wr = wr_open && !(held && got == 0);
		struct pollfd p = { .fd = c->fd,
				    .events = (rd_open ? POLLIN : 0) |
					      (wr || cc_unsent(c) ? POLLOUT :
								    0) };
		int r = rd_open && cc_pending(c) ? 1 : poll(&p, 1, 60000);
		ssize_t n;

		if (r <= 0) {
			snprintf(err, errlen,
				 "stalled: sent %llu/%llu got %lld",
				 (unsigned long long)sent,
				 (unsigned long long)send_len, (long long)got);
			got = -1;
			break;
		}
		if (cc_pending(c))
			p.revents |= POLLIN;
		if (wr && (p.revents & (POLLOUT | POLLERR | POLLHUP))) {
			if (g->off == g->len) {
				uint64_t left = send_len - sent;

				gen_fill(g, sizeof(g->buf));
				if (left < g->len)
					g->len = (size_t)left;
			}
			n = cc_send(c, g->buf + g->off, g->len - g->off);
			if (n > 0) {
				g->off += (size_t)n;
				sent += (uint64_t)n;
				if (sent == send_len) {
					cc_shut(c);
					wr_open = 0;
				}
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				snprintf(err, errlen, "send: %s",
					 strerror(errno));
				got = -1;
				break;
			}
		}
		while (rd_open && (p.revents & (POLLIN | POLLERR | POLLHUP))) {
			n = cc_recv(c, rbuf, 65536);
			if (n == 0) {
				rd_open = 0;
			} else if (n > 0) {
				EVP_DigestUpdate(md, rbuf, (size_t)n);
				got += n;
				continue;
			} else if (errno != EAGAIN && errno != EINTR) {
				snprintf(err, errlen, "read: %s",
					 strerror(errno));
				got = -1;
			}
			break;
		}
		if (got < 0)
			break;
	}
	EVP_DigestFinal_ex(md, hash, NULL);
	EVP_MD_CTX_free(md);
	free(g);
	free(rbuf);
	return got;
}

struct xfer_hdr {
	uint64_t seed, up, down;
};

static void xfer_conn(void *ctx, int fd)
{
	struct xfer_srv *x = ctx;
	struct xfer_hdr h;
	uint8_t got_hash[32], want[32];
	char err[128];
	int64_t got;

	if (read_full(fd, &h, sizeof(h), 60000) != sizeof(h)) {
		atomic_fetch_add(&x->bad, 1);
		close(fd);
		return;
	}
	{
		struct cconn c = { .fd = fd };

		got = duplex(&c, h.seed + 1, h.down & ~XFER_HOLD,
			     !!(h.down & XFER_HOLD), got_hash, err,
			     sizeof(err));
	}
	stream_hash(h.seed, h.up, want);
	if (got == (int64_t)h.up && memcmp(got_hash, want, 32) == 0) {
		atomic_fetch_add(&x->ok, 1);
	} else {
		snprintf(x->last_bad, sizeof(x->last_bad),
			 "seed %llu: got %lld of %llu bytes%s (%s)",
			 (unsigned long long)h.seed, (long long)got,
			 (unsigned long long)h.up,
			 got == (int64_t)h.up ? ", SHA-256 differs" : "",
			 got < 0 ? err : "");
		atomic_fetch_add(&x->bad, 1);
	}
	close(fd);
}

int xfer_srv_start(struct xfer_srv *x)
{
	atomic_init(&x->ok, 0);
	atomic_init(&x->bad, 0);
	return server_start(&x->fd, &x->port, &x->th, 0, 1024, xfer_conn, x);
}

void xfer_srv_stop(struct xfer_srv *x)
{
	server_stop(x->fd, x->th);
}

static int run(struct cconn *c, uint64_t seed, uint64_t up, uint64_t down,
	       int (*hold)(void *arg, char *err, size_t errlen), void *arg,
	       char *err, size_t errlen)
{
	struct xfer_hdr h = { seed, up, down | (hold ? XFER_HOLD : 0) };
	uint8_t got_hash[32], want[32];
	int64_t got;

	if (cc_send_all(c, &h, sizeof(h), 30000) < 0) {
		snprintf(err, errlen, "header write failed");
		return -1;
	}
	if (hold && hold(arg, err, errlen) != 0)
		return -1;
	got = duplex(c, seed, up, 0, got_hash, err, errlen);
	if (got < 0)
		return -1;
	stream_hash(seed + 1, down, want);
	if (got != (int64_t)down) {
		snprintf(err, errlen, "got %lld bytes, want %llu",
			 (long long)got, (unsigned long long)down);
		return -1;
	}
	if (memcmp(got_hash, want, 32) != 0) {
		snprintf(err, errlen, "SHA-256 mismatch over %llu bytes",
			 (unsigned long long)down);
		return -1;
	}
	return 0;
}

int xfer_run(struct cconn *c, uint64_t seed, uint64_t up, uint64_t down,
	     char *err, size_t errlen)
{
	return run(c, seed, up, down, NULL, NULL, err, errlen);
}

int xfer_client_held(uint16_t gw_port, const char *token, uint64_t seed,
		     uint64_t up, uint64_t down,
		     int (*hold)(void *arg, char *err, size_t errlen),
		     void *arg, char *err, size_t errlen)
{
	struct cconn c = { .fd = -1 };
	int code, r;

	code = gw_dial_token(gw_port, token, &c.fd);
	if (code != 200) {
		snprintf(err, errlen, "handshake answered %d", code);
		return -1;
	}
	r = run(&c, seed, up, down, hold, arg, err, errlen);
	close(c.fd);
	return r;
}

int xfer_client(uint16_t gw_port, const char *token, uint64_t seed, uint64_t up,
		uint64_t down, char *err, size_t errlen)
{
	return xfer_client_held(gw_port, token, seed, up, down, NULL, NULL, err,
				errlen);
}
