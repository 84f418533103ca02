// SPDX-License-Identifier: MIT
/*
 * A client's byte stream in clear or under TLS, with read(2)'s and
 * send(2)'s results, so that the forwarders' pump and the handshake
 * treat both alike.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include "core/log.h"
#include "edge/io.h"

/* Turns libssl's result r of a read (writing 0) or write into read(2)'s. */
static ssize_t tls_result(struct edge_io *io, int r, int writing)
{
	int err = SSL_get_error(io->ssl, r);

	switch (err) {
	case SSL_ERROR_WANT_READ:
		io->write_wants_in = (uint8_t)writing;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		io->read_wants_out = (uint8_t)!writing;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		/* close_notify: the end of the client's stream */
		if (!writing)
			return 0;
		errno = EPIPE;
		return -1;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		if (errno == 0)
			errno = writing ? EPIPE : ECONNRESET;
		return -1;
	default:
		/* a bad record, a failed MAC: the stream cannot go on */
		ERR_clear_error();
		errno = EPROTO;
		return -1;
	}
}

ssize_t eio_read(struct edge_io *io, void *buf, size_t len)
{
	size_t n;
	int r;

	if (!io->ssl)
		return read(io->fd, buf, len);
	io->read_wants_out = 0;
	ERR_clear_error();
	errno = 0;
	r = SSL_read_ex(io->ssl, buf, len, &n);
	return r > 0 ? (ssize_t)n : tls_result(io, r, 0);
}

ssize_t eio_write(struct edge_io *io, const void *buf, size_t len)
{
	size_t n;
	int r;

	if (!io->ssl)
		return send(io->fd, buf, len, MSG_NOSIGNAL);
	io->write_wants_in = 0;
	ERR_clear_error();
	errno = 0;
	r = SSL_write_ex(io->ssl, buf, len, &n);
	return r > 0 ? (ssize_t)n : tls_result(io, r, 1);
}

int eio_write_all(struct edge_io *io, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = eio_write(io, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int eio_shut(struct edge_io *io)
{
	if (io->shut)
		return 0;
	if (io->ssl && SSL_is_init_finished(io->ssl)) {
		int r;

		ERR_clear_error();
		r = SSL_shutdown(io->ssl);
		/* 0: ours is sent, the client's not yet read; fine */
		if (r < 0 && tls_result(io, r, 1) < 0 && errno == EAGAIN)
			return -1;
	}
	io->shut = 1;
	if (shutdown(io->fd, SHUT_WR) < 0 && errno != ENOTCONN)
		return -1;
	return 0;
}

int eio_handshake(struct edge_io *io, char *why, size_t whylen)
{
	int r, err;
	unsigned long e;

	ERR_clear_error();
	errno = 0;
	r = SSL_do_handshake(io->ssl);
	if (r == 1)
		return 1;
	err = SSL_get_error(io->ssl, r);
	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
		io->hs_want = err == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT;
		return 0;
	}
	e = ERR_peek_last_error();
	if (e)
		snprintf(why, whylen, "TLS handshake failed: %s",
			 ERR_reason_error_string(e) ?
				 ERR_reason_error_string(e) :
				 "unknown error");
	else if (err == SSL_ERROR_SYSCALL && errno)
		snprintf(why, whylen, "TLS handshake failed: %s",
			 strerror(errno));
	else
		snprintf(why, whylen, "TLS handshake failed: EOF");
	ERR_clear_error();
	return -1;
}

int eio_ktls_both(const struct edge_io *io)
{
	return io->ssl && BIO_get_ktls_send(SSL_get_wbio(io->ssl)) &&
	       BIO_get_ktls_recv(SSL_get_rbio(io->ssl));
}

void eio_log_ktls(const struct edge_io *io)
{
	if (!io->ssl)
		return;
	log_debug("%s, kernel TLS: send %s, receive %s",
		  SSL_get_version(io->ssl),
		  BIO_get_ktls_send(SSL_get_wbio(io->ssl)) ? "on" : "off",
		  BIO_get_ktls_recv(SSL_get_rbio(io->ssl)) ? "on" : "off");
}

uint32_t eio_events(const struct edge_io *io)
{
	return (io->read_wants_out ? EPOLLOUT : 0) |
	       (io->write_wants_in ? EPOLLIN : 0);
}
