// SPDX-License-Identifier: MIT
/*
 * sg-bench-backend: the benchmark's backend, one epoll thread.
 *   sg-bench-backend PORT echo     echo every byte back
 *   sg-bench-backend PORT source   send zeros as fast as the peer reads
 *   sg-bench-backend PORT sink     read and discard everything
 *   sg-bench-backend PORT stall    per connection: read nothing for 4 s,
 *                                  then everything; at EOF print got=N
 * Prints "ready" once listening on 127.0.0.1:PORT.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static char buf[1 << 16];

/* stall: a thread a connection, so that one sleeping blocks no other */
static void *stall_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	static char rbuf[1 << 18];
	unsigned long long got = 0;
	ssize_t n;

	fcntl(fd, F_SETFL, 0);
	sleep(4);
	while ((n = read(fd, rbuf, sizeof(rbuf))) > 0)
		got += (unsigned long long)n;
	printf("got=%llu\n", got);
	fflush(stdout);
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct epoll_event ev, evs[256];
	int lfd, ep, source, sink, stall, one = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: sg-bench-backend PORT "
				"echo|source|sink|stall\n");
		return 2;
	}
	source = !strcmp(argv[2], "source");
	sink = !strcmp(argv[2], "sink");
	stall = !strcmp(argv[2], "stall");
	sa.sin_port = htons((uint16_t)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 65535) < 0) {
		perror("sg-bench-backend");
		return 1;
	}
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == lfd) {
				int c;

				while ((c = accept4(lfd, NULL, NULL,
						    SOCK_NONBLOCK)) >= 0) {
					pthread_t t;

					if (stall) {
						if (pthread_create(
							    &t, NULL,
							    stall_conn,
							    (void *)(intptr_t)c))
							close(c);
						else
							pthread_detach(t);
						continue;
					}
					setsockopt(c, IPPROTO_TCP, TCP_NODELAY,
						   &one, sizeof(one));
					ev.events = source ?
							    EPOLLOUT | EPOLLIN :
							    EPOLLIN;
					ev.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				}
				continue;
			}
			if (sink) {
				ssize_t r;

				while ((r = read(fd, buf, sizeof(buf))) > 0)
					;
				if (r == 0 || errno != EAGAIN)
					close(fd);
				continue;
			}
			if (source) {
				ssize_t r = evs[i].events & EPOLLIN ?
						    read(fd, buf, sizeof(buf)) :
						    1;

				if (r == 0 || (r < 0 && errno != EAGAIN) ||
				    (send(fd, buf, sizeof(buf), MSG_NOSIGNAL) <
					     0 &&
				     errno != EAGAIN))
					close(fd);
				continue;
			}
			for (;;) {
				ssize_t r = read(fd, buf, sizeof(buf)), off = 0;

				if (r == 0 || (r < 0 && errno != EAGAIN)) {
					close(fd);
					break;
				}
				if (r < 0)
					break;
				/* a benchmark echo: block briefly if full */
				while (off < r) {
					ssize_t w = send(fd, buf + off,
							 (size_t)(r - off),
							 MSG_NOSIGNAL);
					if (w < 0 && errno == EAGAIN)
						continue;
					if (w < 0)
						break;
					off += w;
				}
			}
		}
	}
}
