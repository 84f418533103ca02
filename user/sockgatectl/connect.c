// SPDX-License-Identifier: MIT
/* sockgatectl: connect: the handshake, then stdin and stdout relayed. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/addr.h"
#include "sockgatectl/cmds.h"

static int relay(int fd)
{
	struct pollfd p[2] = { { .fd = STDIN_FILENO, .events = POLLIN },
			       { .fd = fd, .events = POLLIN } };
	char buf[65536];

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (p[0].revents) {
			ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

			if (n <= 0) {
				shutdown(fd, SHUT_WR);
				p[0].fd = -1;
			} else if (send(fd, buf, (size_t)n, MSG_NOSIGNAL) !=
				   n) {
				perror("sockgatectl: send");
				return 1;
			}
		}
		if (p[1].revents) {
			ssize_t n = read(fd, buf, sizeof(buf));

			if (n == 0)
				return 0;
			if (n < 0) {
				perror("sockgatectl: read");
				return 1;
			}
			if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
				return 1;
			fflush(stdout);
		}
	}
}

int cmd_connect(const char *gw, const char *tok)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char code[4] = "";
	size_t got = 0;
	int fd;

	if (sg_addr_parse(gw, &ss, &len) < 0) {
		fprintf(stderr, "sockgatectl: bad gateway address %s\n", gw);
		return 2;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) < 0) {
		fprintf(stderr, "sockgatectl: connect %s: %s\n", gw,
			strerror(errno));
		return 1;
	}
	if (send(fd, tok, strlen(tok), MSG_NOSIGNAL) < 0 ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
		perror("sockgatectl: send");
		return 1;
	}
	while (got < 3) {
		ssize_t n = read(fd, code + got, 3 - got);

		if (n <= 0) {
			fprintf(stderr, "sockgatectl: no status from the "
					"gateway\n");
			return 1;
		}
		got += (size_t)n;
	}
	if (strcmp(code, "200") != 0) {
		fprintf(stderr, "sockgatectl: gateway answered %s\n", code);
		return 1;
	}
	return relay(fd);
}

/* The flags, in one table (core/opt.h). */
