// SPDX-License-Identifier: MIT
/* Loopback sockets and the client side of the handshake. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gwproc.h"
#include "sock.h"

int tcp_connect_from(const char *src, uint16_t port)
{
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	struct sockaddr_in from = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), err;

	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	if (fd < 0)
		return -1;
	if ((!src || (inet_pton(AF_INET, src, &from.sin_addr) == 1 &&
		      bind(fd, (struct sockaddr *)&from, sizeof(from)) == 0)) &&
	    connect(fd, (struct sockaddr *)&to, sizeof(to)) == 0)
		return fd;
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

int gw_dial_from(const char *src, uint16_t port, const char *token, int *fdp)
{
	char line[4200], code[4] = "";
	int fd = tcp_connect_from(src, port), n;

	if (fd < 0)
		return 0;
	n = snprintf(line, sizeof(line), "%s\n", token);
	if (write_all(fd, line, (size_t)n) != n ||
	    read_full(fd, code, 3, 10000) != 3)
		code[0] = '\0';
	if (fdp && !strcmp(code, "200"))
		*fdp = fd;
	else
		close(fd);
	return atoi(code);
}

int tcp_connect(const char *host, uint16_t port)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(port) };
	struct sockaddr_in s4 = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	int v6 = strchr(host, ':') != NULL;
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int r;

	if (fd < 0)
		return -1;
	if (v6) {
		inet_pton(AF_INET6, host, &s6.sin6_addr);
		r = connect(fd, (struct sockaddr *)&s6, sizeof(s6));
	} else {
		inet_pton(AF_INET, host, &s4.sin_addr);
		r = connect(fd, (struct sockaddr *)&s4, sizeof(s4));
	}
	if (r < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

ssize_t write_all(int fd, const void *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(fd, (const char *)buf + off, len - off,
				 MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return (ssize_t)off;
}

static int wait_in(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout_ms);
}

ssize_t read_full(int fd, void *buf, size_t len, int timeout_ms)
{
	size_t off = 0;
	long end = ms_now() + timeout_ms;

	while (off < len) {
		ssize_t n;
		long left = end - ms_now();

		if (left <= 0 || wait_in(fd, (int)left) <= 0)
			break;
		n = read(fd, (char *)buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	return (ssize_t)off;
}

ssize_t read_to_eof(int fd, int timeout_ms)
{
	char buf[65536];
	ssize_t total = 0;
	long end = ms_now() + timeout_ms;

	for (;;) {
		long left = end - ms_now();
		ssize_t n;

		if (left <= 0 || wait_in(fd, (int)left) <= 0) {
			errno = ETIMEDOUT; /* not a stale one: callers check */
			return -1;
		}
		n = read(fd, buf, sizeof(buf));
		if (n == 0)
			return total;
		if (n < 0)
			return errno == EINTR ? total : -1;
		total += n;
	}
}

int gw_dial(uint16_t port, const char *line, size_t len, int *fdp)
{
	return gw_dial_at("127.0.0.1", port, line, len, fdp);
}

int gw_dial_at(const char *host, uint16_t port, const char *line, size_t len,
	       int *fdp)
{
	char code[4] = "";
	int fd = tcp_connect(host, port);
	ssize_t n;

	if (fd < 0)
		return -1;
	if (write_all(fd, line, len) < 0) {
		close(fd);
		return -1;
	}
	n = read_full(fd, code, 3, 30000);
	if (fdp && n == 3)
		*fdp = fd;
	else
		close(fd);
	if (n != 3)
		return 0;
	return atoi(code);
}

int gw_dial_token(uint16_t port, const char *token, int *fd)
{
	size_t len = strlen(token);
	char *line = malloc(len + 2);
	int r;

	memcpy(line, token, len);
	line[len] = '\n';
	r = gw_dial(port, line, len + 1, fd);
	free(line);
	return r;
}

int tcp_listen(int v6, uint16_t *port, int backlog)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int fd = socket(v6 == 1 ? AF_INET6 : AF_INET,
			SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (v6 == 1) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr =
			htonl(v6 == LISTEN_ANY4 ? INADDR_ANY : INADDR_LOOPBACK);
		len = sizeof(*s4);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    listen(fd, backlog) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(v6 == 1 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
				((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}
