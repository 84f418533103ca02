// SPDX-License-Identifier: MIT
/* PROXY protocol headers, v1 and v2: see session/proxy.h. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "core/addr.h"
#include "session/proxy.h"

static const uint8_t v2_sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
				    0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };

int proxy_header(int version, int cli_fd, uint8_t *out, size_t max)
{
	struct sockaddr_storage ps, ls;
	socklen_t plen = sizeof(ps), llen = sizeof(ls);
	struct sg_caddr src, dst;
	uint16_t sport, dport;
	size_t alen;
	int n;

	if (getpeername(cli_fd, (struct sockaddr *)&ps, &plen) < 0 ||
	    getsockname(cli_fd, (struct sockaddr *)&ls, &llen) < 0 ||
	    sg_caddr_set_plain(&src, (struct sockaddr *)&ps) < 0 ||
	    sg_caddr_set_plain(&dst, (struct sockaddr *)&ls) < 0 ||
	    src.family != dst.family || max < PROXY_MAX)
		return -1;
	alen = src.family == AF_INET ? 4 : 16;
	if (version == 1) {
		char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

		inet_ntop(src.family, src.ip, s, sizeof(s));
		inet_ntop(dst.family, dst.ip, d, sizeof(d));
		n = snprintf((char *)out, max, "PROXY %s %s %s %u %u\r\n",
			     src.family == AF_INET ? "TCP4" : "TCP6", s, d,
			     src.port, dst.port);
		return n > 0 && (size_t)n < max ? n : -1;
	}
	memcpy(out, v2_sig, sizeof(v2_sig));
	out[12] = 0x21;				       /* version 2, PROXY */
	out[13] = src.family == AF_INET ? 0x11 : 0x21; /* TCP over v4/v6 */
	out[14] = 0;
	out[15] = (uint8_t)(2 * alen + 4);
	memcpy(out + 16, src.ip, alen);
	memcpy(out + 16 + alen, dst.ip, alen);
	sport = htons(src.port);
	dport = htons(dst.port);
	memcpy(out + 16 + 2 * alen, &sport, 2);
	memcpy(out + 18 + 2 * alen, &dport, 2);
	return (int)(20 + 2 * alen);
}
