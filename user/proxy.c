// SPDX-License-Identifier: MIT
/* PROXY protocol headers, v1 and v2: see proxy.h. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy.h"

static const uint8_t v2_sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
				    0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };

/* An endpoint as the header writes it: family, address, port. */
struct pp_ep {
	int family;
	uint8_t ip[16];
	uint16_t port; /* network order */
};

static int ep_of(const struct sockaddr_storage *ss, struct pp_ep *e)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;

		e->family = AF_INET;
		memcpy(e->ip, &in->sin_addr, 4);
		e->port = in->sin_port;
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;

		e->port = in6->sin6_port;
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			e->family = AF_INET;
			memcpy(e->ip, in6->sin6_addr.s6_addr + 12, 4);
		} else {
			e->family = AF_INET6;
			memcpy(e->ip, &in6->sin6_addr, 16);
		}
		return 0;
	}
	return -1;
}

int proxy_header(int version, int cli_fd, uint8_t *out, size_t max)
{
	struct sockaddr_storage ps, ls;
	socklen_t plen = sizeof(ps), llen = sizeof(ls);
	struct pp_ep src, dst;
	size_t alen;
	int n;

	if (getpeername(cli_fd, (struct sockaddr *)&ps, &plen) < 0 ||
	    getsockname(cli_fd, (struct sockaddr *)&ls, &llen) < 0 ||
	    ep_of(&ps, &src) < 0 || ep_of(&ls, &dst) < 0 ||
	    src.family != dst.family || max < PROXY_MAX)
		return -1;
	alen = src.family == AF_INET ? 4 : 16;
	if (version == 1) {
		char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

		inet_ntop(src.family, src.ip, s, sizeof(s));
		inet_ntop(dst.family, dst.ip, d, sizeof(d));
		n = snprintf((char *)out, max, "PROXY %s %s %s %u %u\r\n",
			     src.family == AF_INET ? "TCP4" : "TCP6", s, d,
			     ntohs(src.port), ntohs(dst.port));
		return n > 0 && (size_t)n < max ? n : -1;
	}
	memcpy(out, v2_sig, sizeof(v2_sig));
	out[12] = 0x21;				       /* version 2, PROXY */
	out[13] = src.family == AF_INET ? 0x11 : 0x21; /* TCP over v4/v6 */
	out[14] = 0;
	out[15] = (uint8_t)(2 * alen + 4);
	memcpy(out + 16, src.ip, alen);
	memcpy(out + 16 + alen, dst.ip, alen);
	memcpy(out + 16 + 2 * alen, &src.port, 2);
	memcpy(out + 18 + 2 * alen, &dst.port, 2);
	return (int)(20 + 2 * alen);
}
