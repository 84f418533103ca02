// SPDX-License-Identifier: MIT
/* The gateway never connects to itself: see selfaddr.h. */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "selfaddr.h"

void selfaddr_add(struct selfaddr *s, const struct sockaddr *sa)
{
	if (s->n < SELF_MAX)
		memcpy(&s->a[s->n++], sa,
		       sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
						   sizeof(struct sockaddr_in));
}

/* An address with its port, IPv4-mapped IPv6 taken as IPv4. */
struct ep {
	int family;
	uint8_t ip[16];
	uint16_t port;
};

static void ep_of(const struct sockaddr *sa, struct ep *e)
{
	memset(e, 0, sizeof(*e));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		e->family = AF_INET;
		memcpy(e->ip, &in->sin_addr, 4);
		e->port = in->sin_port;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		e->port = in6->sin6_port;
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			e->family = AF_INET;
			memcpy(e->ip, in6->sin6_addr.s6_addr + 12, 4);
		} else {
			e->family = AF_INET6;
			memcpy(e->ip, &in6->sin6_addr, 16);
		}
	}
}

static int unspecified(const struct ep *e)
{
	static const uint8_t zero[16];

	return !memcmp(e->ip, zero, e->family == AF_INET ? 4 : 16);
}

/* Is e an address of this host? It is if a socket can bind to it. */
static int local(const struct ep *e)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, ok;

	if (unspecified(e) || (e->family == AF_INET && e->ip[0] == 127))
		return 1;
	memset(&ss, 0, sizeof(ss));
	if (e->family == AF_INET) {
		struct sockaddr_in *in = (void *)&ss;

		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, e->ip, 4);
		len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (void *)&ss;

		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, e->ip, 16);
		len = sizeof(*in6);
	}
	fd = socket(e->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 1; /* cannot tell: take it for ours */
	ok = bind(fd, (struct sockaddr *)&ss, len) == 0;
	close(fd);
	return ok;
}

int selfaddr_match(const struct selfaddr *s, const struct sockaddr *dst)
{
	struct ep d, l;

	ep_of(dst, &d);
	for (int i = 0; i < s->n; i++) {
		ep_of((const struct sockaddr *)&s->a[i], &l);
		if (l.port != d.port)
			continue;
		if (unspecified(&l)) {
			/* a wildcard listener: an IPv6 one takes IPv4 too */
			if ((l.family == d.family || l.family == AF_INET6) &&
			    local(&d))
				return 1;
			continue;
		}
		if (unspecified(&d) ||
		    (l.family == d.family &&
		     !memcmp(l.ip, d.ip, d.family == AF_INET ? 4 : 16)))
			return 1;
	}
	return 0;
}
