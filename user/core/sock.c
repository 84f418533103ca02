// SPDX-License-Identifier: MIT
/* Socket helpers every layer needs: see sock.h. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/sock.h"

void sock_set_reset(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

void sock_reset_close(int fd)
{
	sock_set_reset(fd);
	close(fd);
}

int sock_nodelay(int fd)
{
	int one = 1;

	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int sock_keepalive(int fd, int idle, int interval, int count)
{
	unsigned ms = (unsigned)(idle + interval * count) * 1000u;
	int one = 1;

	if (idle <= 0)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) <
		    0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval,
		       sizeof(interval)) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count)) <
		    0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof(ms)) < 0)
		return -1;
	return 0;
}

int sock_tune(int fd, int idle, int interval, int count)
{
	if (sock_nodelay(fd) < 0)
		return -1;
	return sock_keepalive(fd, idle, interval, count);
}

int sock_tcp_info_len(int fd, void *ti, unsigned len)
{
	socklen_t n = len;

	memset(ti, 0, len);
	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &n);
}

int sock_unread(int fd, int *n)
{
	*n = 0;
	return ioctl(fd, FIONREAD, n);
}
