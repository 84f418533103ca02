// SPDX-License-Identifier: MIT
/* The gateway never connects to itself: see auth/selfaddr.h. */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/addr.h"
#include "auth/selfaddr.h"

void selfaddr_add(struct selfaddr *s, const struct sockaddr *sa)
{
	if (s->n < SELF_MAX)
		memcpy(&s->a[s->n++], sa,
		       sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
						   sizeof(struct sockaddr_in));
}

static int unspecified(const struct sg_caddr *e)
{
	static const uint8_t zero[16];

	return !memcmp(e->ip, zero, e->family == AF_INET ? 4 : 16);
}

/* Is e an address of this host? It is if a socket can bind to it. */
static int local(const struct sg_caddr *e)
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
	struct sg_caddr d, l;

	sg_caddr_set_plain(&d, dst);
	for (int i = 0; i < s->n; i++) {
		sg_caddr_set_plain(&l, (const struct sockaddr *)&s->a[i]);
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
