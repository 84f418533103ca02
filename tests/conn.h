/* SPDX-License-Identifier: MIT */
#ifndef SG_TEST_CONN_H
#define SG_TEST_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/ssl.h>

/*
 * A client of the gateway as each kind of client speaks: in clear, in
 * TLS (libssl, the server's name verified against the test CA), and as a
 * WebSocket client (framing written here, to the RFC, so that tests can
 * send what a library would not: unmasked or text frames). The socket is
 * non-blocking; the blocking helpers wait with a bound.
 */
struct cconn {
	int fd;
	SSL *ssl;
	int ws;	      /* WebSocket framing */
	uint8_t *raw; /* ws: bytes read, not yet parsed */
	size_t raw_len, raw_cap;
	size_t pay_off, pay_len; /* ws: a data frame's payload in raw */
	uint8_t *out;		 /* ws: a frame being sent */
	size_t out_len, out_off;
	int closed; /* ws: the gateway's Close came */
	int close_code;
	char close_reason[128];
	char head[1024]; /* ws: the answer's head */
};

/* A client context trusting ca (PEM); TLS versions 0: libssl's range. */
SSL_CTX *cc_tls_ctx(const char *ca, int min_version, int max_version);
/* Connects to host:port (TLS when ctx, verifying `name`), waiting for the
 * handshake. 0, or -1 with a reason in err. */
int cc_connect(struct cconn *c, const char *host, uint16_t port, SSL_CTX *ctx,
	       const char *name, char *err, size_t errlen);
/* The token line, then the 3-byte status: its code, or 0 (none came). */
int cc_token(struct cconn *c, const char *token);
/* A WebSocket opening request to target ("/TOKEN") with extra header
 * lines (each ending "\r\n", or NULL): the answer's HTTP status, or 0. */
int cc_ws_open(struct cconn *c, const char *target, const char *extra);
/* After 101: the first message, the gateway's status: its code, or 0. */
int cc_ws_status(struct cconn *c);
/* One frame as given (the tests' own: any opcode, masked or not). */
int cc_ws_frame(struct cconn *c, int fin, int op, int mask, const void *data,
		size_t len);
/* Waits for the next frame: its opcode and payload (up to cap) in buf,
 * the payload's length in *len. The opcode, or -1 (timeout, EOF). */
int cc_ws_next(struct cconn *c, uint8_t *buf, size_t cap, size_t *len,
	       int timeout_ms);

/* Non-blocking stream calls, as send(2) and read(2) (WebSocket: binary
 * messages, 0 once Close came). */
ssize_t cc_send(struct cconn *c, const void *buf, size_t len);
ssize_t cc_recv(struct cconn *c, void *buf, size_t len);
/* Input held in user space that poll cannot see. */
int cc_pending(const struct cconn *c);
/* Output waiting (a partly sent frame): poll for POLLOUT. */
int cc_unsent(const struct cconn *c);
/* Our end: WebSocket Close 1000, TLS close_notify then FIN, or FIN. */
int cc_shut(struct cconn *c);
/* Blocking forms with a bound: all of buf, or -1. */
int cc_send_all(struct cconn *c, const void *buf, size_t len, int timeout_ms);
/* Reads exactly len bytes; or fewer at EOF; -1 on error or timeout. */
ssize_t cc_recv_full(struct cconn *c, void *buf, size_t len, int timeout_ms);
void cc_close(struct cconn *c);

#endif
