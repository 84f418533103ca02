// SPDX-License-Identifier: MIT
/* core/addr.c: listen addresses as --addr and --pprof take them. */
#include <arpa/inet.h>
#include <string.h>

#include "core/addr.h"
#include "unit.h"

TestSuite(addr, .timeout = 10);

Test(addr, parse_table)
{
	static const struct {
		const char *in;
		int ok, family;
		unsigned port;
		const char *host; /* numeric, as inet_ntop prints it */
	} cases[] = {
		{ "127.0.0.1:8000", 1, AF_INET, 8000, "127.0.0.1" },
		{ ":8000", 1, AF_INET, 8000, "0.0.0.0" },
		{ "0.0.0.0:0", 1, AF_INET, 0, "0.0.0.0" },
		{ "[::1]:65535", 1, AF_INET6, 65535, "::1" },
		{ "[::]:1", 1, AF_INET6, 1, "::" },
		{ "localhost:80", 1, 0, 80, NULL },
		{ "127.0.0.1:65536", 0, 0, 0, NULL },
		{ "127.0.0.1:99999", 0, 0, 0, NULL }, /* getaddrinfo wraps it */
		{ "127.0.0.1:", 0, 0, 0, NULL },
		{ "127.0.0.1", 0, 0, 0, NULL },
		{ "127.0.0.1:-1", 0, 0, 0, NULL },
		{ "127.0.0.1:80x", 0, 0, 0, NULL },
		{ "127.0.0.1:000080", 0, 0, 0, NULL },
		{ "[::1:80", 0, 0, 0, NULL },
		{ "", 0, 0, 0, NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sockaddr_storage ss;
		socklen_t len = 0;
		char host[64] = "";
		unsigned port;
		int r = sg_addr_parse(cases[i].in, &ss, &len);

		cr_expect_eq(r == 0, cases[i].ok, "'%s': %d", cases[i].in, r);
		if (r < 0 || !cases[i].ok)
			continue;
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
			port = ntohs(a->sin_port);
			cr_expect_eq(len, sizeof(*a));
		} else {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
			port = ntohs(a->sin6_port);
			cr_expect_eq(len, sizeof(*a));
		}
		cr_expect_eq(port, cases[i].port, "'%s': port %u", cases[i].in,
			     port);
		if (cases[i].family)
			cr_expect_eq(ss.ss_family, cases[i].family, "'%s'",
				     cases[i].in);
		if (cases[i].host)
			cr_expect_str_eq(host, cases[i].host, "'%s'",
					 cases[i].in);
	}
}
