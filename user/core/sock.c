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
