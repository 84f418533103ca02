/* SPDX-License-Identifier: MIT */
#ifndef SG_TEST_XFER_H
#define SG_TEST_XFER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Integrity peers. The client sends a 24-byte header {seed, up, down} and
 * `up` bytes of a seeded stream, then shuts its write side; the backend
 * answers `down` bytes of another stream, and each side checks by SHA-256
 * that it received exactly the other's stream, then EOF. With XFER_HOLD
 * in `down`, the backend answers only once the first bytes of `up` came:
 * until then the session is quiet and open both ways.
 */
#define XFER_HOLD (1ull << 63)
struct xfer_srv {
	int fd;
	uint16_t port;
	pthread_t th;
	atomic_int ok, bad;
	char last_bad[256]; /* what the last bad session got */
};
int xfer_srv_start(struct xfer_srv *x);
void xfer_srv_stop(struct xfer_srv *x);
struct cconn;
/* The exchange on a client whose handshake is done (TLS, WebSocket);
 * 0 if both directions matched. */
int xfer_run(struct cconn *c, uint64_t seed, uint64_t up, uint64_t down,
	     char *err, size_t errlen);
/* Runs one session through the gateway; 0 if both directions matched. */
int xfer_client(uint16_t gw_port, const char *token, uint64_t seed, uint64_t up,
		uint64_t down, char *err, size_t errlen);
/* The same, held: after the header, the client calls hold(arg) and sends
 * `up` only then; the backend answers after that (XFER_HOLD). up and down
 * must not be 0. A nonzero hold() fails the session with its message in
 * err. */
int xfer_client_held(uint16_t gw_port, const char *token, uint64_t seed,
		     uint64_t up, uint64_t down,
		     int (*hold)(void *arg, char *err, size_t errlen),
		     void *arg, char *err, size_t errlen);

#endif
