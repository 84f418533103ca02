// SPDX-License-Identifier: MIT
/* A DNS server for the resolver tests: NXDOMAIN, or slow A answers. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dnsd.h"
#include "gwproc.h"

/* The QTYPE of a query: after the header and the QNAME labels. */
static int qtype_of(const uint8_t *q, size_t n)
{
	size_t off = 12;

	while (off < n && q[off] != 0)
		off += (size_t)q[off] + 1;
	if (off + 3 > n)
		return -1;
	return q[off + 1] << 8 | q[off + 2];
}

static void *nxdns_loop(void *arg)
{
	struct nxdns *d = arg;
	uint8_t q[1500];

	for (;;) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(d->fd, q, sizeof(q) - 16, 0,
				     (struct sockaddr *)&from, &fl);
		size_t len;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 12)
			return NULL; /* shut down */
		atomic_fetch_add(&d->queries, 1);
		if (d->delay_ms)
			ms_sleep(d->delay_ms);
		len = (size_t)n;
		memset(q + 6, 0, 6); /* no answer, authority, additional */
		q[2] = 0x81;	     /* QR, RD */
		if (!d->answer_a) {
			q[3] = 0x83; /* RA, NXDOMAIN */
		} else {
			q[3] = 0x80; /* RA, NOERROR */
			if (qtype_of(q, len) == 1) {
				static const uint8_t a[] = { 0xc0, 0x0c, 0, 1,
							     0,	   1,	 0, 0,
							     0,	   60,	 0, 4,
							     127,  0,	 0, 1 };
				q[7] = 1; /* one answer: 127.0.0.1 */
				memcpy(q + len, a, sizeof(a));
				len += sizeof(a);
			}
		}
		sendto(d->fd, q, len, 0, (struct sockaddr *)&from, fl);
	}
}

int nxdns_start(struct nxdns *d)
{
	return fakedns_start(d, 0, 0);
}

int fakedns_start(struct nxdns *d, int answer_a, int delay_ms)
{
	struct sockaddr_in s4 = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(s4);

	atomic_init(&d->queries, 0);
	d->answer_a = answer_a;
	d->delay_ms = delay_ms;
	d->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (d->fd < 0 || bind(d->fd, (struct sockaddr *)&s4, len) < 0 ||
	    getsockname(d->fd, (struct sockaddr *)&s4, &len) < 0)
		return -1;
	d->port = ntohs(s4.sin_port);
	return pthread_create(&d->th, NULL, nxdns_loop, d) ? -1 : 0;
}

void nxdns_stop(struct nxdns *d)
{
	shutdown(d->fd, SHUT_RDWR);
	pthread_join(d->th, NULL);
	close(d->fd);
}
