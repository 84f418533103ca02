// SPDX-License-Identifier: MIT
/* A sockgate client in C, libc only: see sockgate_client.h. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockgate_client.h"

enum { STEP_CONNECT, STEP_SEND, STEP_STATUS };

static int fail(struct sg_dialer *d, int status, int err)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	d->status = status;
	errno = err;
	return SG_DIAL_FAILED;
}

int sg_dial_start(struct sg_dialer *d, const char *host, const char *port,
		  const char *token)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai, *p;
	int n, err = 0;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	n = snprintf(d->line, sizeof(d->line), "%s\n", token);
	if (n < 2 || (size_t)n >= sizeof(d->line) || strchr(token, '\n'))
		return fail(d, 0, EINVAL);
	d->len = (unsigned)n;
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return fail(d, 0, EHOSTUNREACH);
	for (p = ai; p; p = p->ai_next) {
		int one = 1;

		d->fd = socket(p->ai_family,
			       p->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			       0);
		if (d->fd < 0) {
			err = errno;
			continue;
		}
		setsockopt(d->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(d->fd, p->ai_addr, p->ai_addrlen) == 0 ||
		    errno == EINPROGRESS)
			break;
		err = errno;
		close(d->fd);
		d->fd = -1;
	}
	freeaddrinfo(ai);
	if (d->fd < 0)
		return fail(d, 0, err ? err : ECONNREFUSED);
	d->step = STEP_CONNECT;
	return SG_DIAL_WANT_WRITE;
}

int sg_dial_step(struct sg_dialer *d)
{
	ssize_t n;

	if (d->step == STEP_CONNECT) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (getsockopt(d->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err)
			return fail(d, 0, err);
		d->step = STEP_SEND;
	}
	while (d->step == STEP_SEND && d->off < d->len) {
		n = send(d->fd, d->line + d->off, d->len - d->off,
			 MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return SG_DIAL_WANT_WRITE;
		if (n < 0)
			return fail(d, 0, errno);
		d->off += (unsigned)n;
	}
	d->step = STEP_STATUS;
	/* exactly three bytes: what follows is the backend's */
	while (d->got < 3) {
		n = read(d->fd, d->code + d->got, 3 - d->got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return SG_DIAL_WANT_READ;
		if (n <= 0)
			return fail(d, 0, n == 0 ? EPROTO : errno);
		d->got += (unsigned)n;
	}
	if (d->code[0] < '1' || d->code[0] > '5' || d->code[1] < '0' ||
	    d->code[1] > '9' || d->code[2] < '0' || d->code[2] > '9')
		return fail(d, 0, EPROTO);
	d->status = (d->code[0] - '0') * 100 + (d->code[1] - '0') * 10 +
		    (d->code[2] - '0');
	if (d->status != 200)
		return fail(d, d->status, ECONNREFUSED);
	return SG_DIAL_DONE;
}

int sg_connect(const char *host, const char *port, int timeout_ms)
{
	struct sg_dialer d;
	struct pollfd p;
	int n;

	/* the dialer's connect, with a token it never sends */
	if (sg_dial_start(&d, host, port, "-") != SG_DIAL_WANT_WRITE)
		return -1;
	p.fd = d.fd;
	p.events = POLLOUT;
	do
		n = poll(&p, 1, timeout_ms > 0 ? timeout_ms : -1);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		n = n == 0 ? ETIMEDOUT : errno;
		close(d.fd);
		errno = n;
		return -1;
	}
	{
		int err = 0;
		socklen_t len = sizeof(err);

		getsockopt(d.fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			close(d.fd);
			errno = err;
			return -1;
		}
	}
	return d.fd;
}

int sg_dial(const char *host, const char *port, const char *token,
	    int timeout_ms, int *status)
{
	struct sg_dialer d;
	int r = sg_dial_start(&d, host, port, token);

	while (r == SG_DIAL_WANT_READ || r == SG_DIAL_WANT_WRITE) {
		struct pollfd p = { .fd = d.fd,
				    .events = r == SG_DIAL_WANT_READ ?
						      POLLIN :
						      POLLOUT };
		int n = poll(&p, 1, timeout_ms > 0 ? timeout_ms : -1);

		if (n == 0) {
			r = fail(&d, 0, ETIMEDOUT);
			break;
		}
		if (n < 0 && errno != EINTR) {
			r = fail(&d, 0, errno);
			break;
		}
		r = sg_dial_step(&d);
	}
	*status = d.status;
	if (r != SG_DIAL_DONE)
		return -1;
	/* blocking again, as the caller expects of this form */
	fcntl(d.fd, F_SETFL, fcntl(d.fd, F_GETFL) & ~O_NONBLOCK);
	return d.fd;
}
