// SPDX-License-Identifier: MIT
/* session/proxy.c: the PROXY header a backend gets, from real sockets. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "session/proxy.h"
#include "unit.h"

TestSuite(proxy, .timeout = 10);

/* A loopback connection: *srv the accepted end, *cli the client's. */
static void pair(int family, int *cli, int *srv, unsigned *cport,
		 unsigned *sport)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int l = socket(family, SOCK_STREAM, 0);

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_addr.s_addr =
			htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
	cr_assert(l >= 0);
	cr_assert_eq(bind(l, (struct sockaddr *)&ss, len), 0);
	cr_assert_eq(listen(l, 1), 0);
	cr_assert_eq(getsockname(l, (struct sockaddr *)&ss, &len), 0);
	*sport = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	*cli = socket(family, SOCK_STREAM, 0);
	cr_assert_eq(connect(*cli, (struct sockaddr *)&ss, len), 0);
	*srv = accept(l, NULL, NULL);
	cr_assert(*srv >= 0);
	len = sizeof(ss);
	cr_assert_eq(getsockname(*cli, (struct sockaddr *)&ss, &len), 0);
	*cport = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	close(l);
}

Test(proxy, v1_text_ipv4_and_ipv6)
{
	for (int f = 0; f < 2; f++) {
		int cli, srv, n;
		unsigned cport, sport;
		uint8_t out[108];
		char want[128];

		pair(f ? AF_INET6 : AF_INET, &cli, &srv, &cport, &sport);
		n = proxy_header(1, srv, out, sizeof(out));
		snprintf(want, sizeof(want), "PROXY %s %s %s %u %u\r\n",
			 f ? "TCP6" : "TCP4", f ? "::1" : "127.0.0.1",
			 f ? "::1" : "127.0.0.1", cport, sport);
		cr_assert_eq(n, (int)strlen(want), "%d", n);
		cr_expect_eq(memcmp(out, want, (size_t)n), 0, "%.*s", n, out);
		close(cli);
		close(srv);
	}
}

Test(proxy, v2_binary_ipv4)
{
	static const uint8_t sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
					 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };
	int cli, srv, n;
	unsigned cport, sport;
	uint8_t out[108];

	pair(AF_INET, &cli, &srv, &cport, &sport);
	n = proxy_header(2, srv, out, sizeof(out));
	cr_assert_eq(n, 16 + 12, "%d", n);
	cr_expect_eq(memcmp(out, sig, 12), 0);
	cr_expect_eq(out[12], 0x21, "version 2, PROXY");
	cr_expect_eq(out[13], 0x11, "TCP over IPv4");
	cr_expect_eq((out[14] << 8) | out[15], 12);
	cr_expect_eq(memcmp(out + 16, "\x7f\0\0\1\x7f\0\0\1", 8), 0);
	cr_expect_eq((unsigned)((out[24] << 8) | out[25]), cport);
	cr_expect_eq((unsigned)((out[26] << 8) | out[27]), sport);
	close(cli);
	close(srv);
}

Test(proxy, too_small_or_closed)
{
	uint8_t out[108];
	int cli, srv;
	unsigned cport, sport;

	pair(AF_INET, &cli, &srv, &cport, &sport);
	cr_expect_lt(proxy_header(1, srv, out, 10), 0, "no room");
	close(cli);
	close(srv);
	cr_expect_lt(proxy_header(1, srv, out, sizeof(out)), 0, "closed fd");
}
