// SPDX-License-Identifier: MIT
/* Peer addresses: the packed form sessions keep, and their text. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "core/addr.h"

void sg_caddr_set(struct sg_caddr *c, const struct sockaddr *sa)
{
	memset(c, 0, sizeof(*c));
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		memcpy(c->ip, &in6->sin6_addr, 16);
		c->port = ntohs(in6->sin6_port);
		c->family = AF_INET6;
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		memcpy(c->ip, &in->sin_addr, 4);
		c->port = ntohs(in->sin_port);
		c->family = AF_INET;
	}
}

int sg_caddr_set_plain(struct sg_caddr *c, const struct sockaddr *sa)
{
	sg_caddr_set(c, sa);
	return sg_caddr_unmap(c);
}

int sg_caddr_unmap(struct sg_caddr *c)
{
	if (c->family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)c->ip)) {
		memmove(c->ip, c->ip + 12, 4);
		memset(c->ip + 4, 0, 12);
		c->family = AF_INET;
	}
	return c->family ? 0 : -1;
}

void sg_caddr_fmt(const struct sg_caddr *c, char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (c->family != AF_INET && c->family != AF_INET6) {
		snprintf(out, len, "-");
		return;
	}
	inet_ntop(c->family, c->ip, host, sizeof(host));
	snprintf(out, len, c->family == AF_INET6 ? "[%s]:%u" : "%s:%u", host,
		 c->port);
}

void sg_sockaddr_fmt(const struct sockaddr *sa, char *out, size_t len)
{
	struct sg_caddr c;

	sg_caddr_set(&c, sa);
	sg_caddr_fmt(&c, out, len);
}

/* 0 to 65535 in at most five digits: getaddrinfo would take 99999 as
 * 99999 modulo 65536, and listen on a port nobody asked for. */
static int port_ok(const char *p)
{
	size_t n = strlen(p);

	if (n == 0 || n > 5 || strspn(p, "0123456789") != n)
		return 0;
	return strtol(p, NULL, 10) <= 65535;
}

int sg_addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *ai;
	const char *colon = strrchr(s, ':');
	char host[256];
	size_t hlen;

	if (!colon || !port_ok(colon + 1))
		return -1;
	hlen = (size_t)(colon - s);
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		s++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host))
		return -1;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (hlen == 0) {
		hints.ai_family = AF_INET;
	}
	if (getaddrinfo(hlen ? host : NULL, colon + 1, &hints, &ai) != 0)
		return -1;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}
