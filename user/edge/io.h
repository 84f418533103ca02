/* SPDX-License-Identifier: MIT */
#ifndef SG_EDGE_IO_H
#define SG_EDGE_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/ssl.h>

/*
 * A client's byte stream: its socket in clear, or under TLS (libssl on
 * a non-blocking socket; with kernel TLS libssl's reads and writes are
 * the kernel's). The calls behave as read(2) and send(2): > 0 bytes, 0
 * the peer's end (read only), -1 with errno (EAGAIN: wait for the
 * socket). A TLS read may have to write first and a write read first
 * (a key update): the flags say which event the socket must report.
 */
struct edge_io {
	int fd;
	SSL *ssl;		/* NULL: in clear */
	uint8_t read_wants_out; /* the last read stopped on EPOLLOUT */
	uint8_t write_wants_in; /* the last write stopped on EPOLLIN */
	uint8_t hs_want;	/* the handshake waits for: EPOLLIN or OUT */
	uint8_t shut;		/* close_notify and FIN sent */
};

ssize_t eio_read(struct edge_io *io, void *buf, size_t len);
ssize_t eio_write(struct edge_io *io, const void *buf, size_t len);
/* Writes all of buf or fails: for the few bytes of a reply on a fresh
 * socket. 0, or -1 with errno (EAGAIN: the socket was full). */
int eio_write_all(struct edge_io *io, const void *buf, size_t len);
/* Our end of the stream: TLS's close_notify, then FIN. 0; -1 with errno
 * (EAGAIN: call again when the socket is writable). */
int eio_shut(struct edge_io *io);
/* TLS: one step of the server handshake. 1 done, 0 waiting (hs_want
 * says for what), -1 failed with its reason in why. */
int eio_handshake(struct edge_io *io, char *why, size_t whylen);
/* Whether libssl handed both directions to the kernel. */
int eio_ktls_both(const struct edge_io *io);
/* Logs (debug) the TLS version and which directions the kernel took. */
void eio_log_ktls(const struct edge_io *io);
/* The events the socket must report beyond the caller's own. */
uint32_t eio_events(const struct edge_io *io);

#endif
