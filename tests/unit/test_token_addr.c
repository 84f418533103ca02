// SPDX-License-Identifier: MIT
/* auth/token_legacy.c: the address a token opens to, by table. */
#include <arpa/inet.h>
#include <string.h>

#include "auth/token_legacy.h"
#include "unit.h"

TestSuite(token_addr, .timeout = 10);

Test(token_addr, parse_table)
{
	static const struct {
		const char *in;
		int ok, family, srv;
		unsigned port;
		const char *host;
	} cases[] = {
		{ "127.0.0.1:80", 1, AF_INET, 0, 80, "127.0.0.1" },
		{ "10.0.0.5:65535", 1, AF_INET, 0, 65535, "10.0.0.5" },
		{ "[::1]:443", 1, AF_INET6, 0, 443, "::1" },
		{ "[2001:db8::5]:7000", 1, AF_INET6, 0, 7000, "2001:db8::5" },
		{ "game-1.example.com:7000", 1, AF_UNSPEC, 0, 7000,
		  "game-1.example.com" },
		{ "_game._tcp.example.com", 1, AF_UNSPEC, 1, 0,
		  "_game._tcp.example.com" },
		{ "127.0.0.1:65536", 0, 0, 0, 0, NULL },
		{ "127.0.0.1:99999", 0, 0, 0, 0, NULL },
		{ "127.0.0.1:", 0, 0, 0, 0, NULL },
		{ "127.0.0.1:8o", 0, 0, 0, 0, NULL },
		{ "127.0.0.1:-1", 0, 0, 0, 0, NULL },
		{ ":80", 0, 0, 0, 0, NULL },
		{ "[::1]", 0, 0, 0, 0, NULL },
		{ "[::1:80", 0, 0, 0, 0, NULL },
		{ "[]:80", 0, 0, 0, 0, NULL },
		{ "[not-v6]:80", 0, 0, 0, 0, NULL },
		{ "bad host:80", 0, 0, 0, 0, NULL },
		{ "host_with/slash:80", 0, 0, 0, 0, NULL },
		{ "", 0, 0, 0, 0, NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct token_addr a;
		int r = token_parse_addr(cases[i].in, strlen(cases[i].in), &a);

		cr_expect_eq(r == 0, cases[i].ok, "'%s': %d", cases[i].in, r);
		if (r < 0 || !cases[i].ok)
			continue;
		cr_expect_eq(a.family, cases[i].family, "'%s'", cases[i].in);
		cr_expect_eq(a.srv, cases[i].srv, "'%s'", cases[i].in);
		cr_expect_eq(a.port, cases[i].port, "'%s'", cases[i].in);
		cr_expect_str_eq(a.host, cases[i].host, "'%s'", cases[i].in);
	}
}

Test(token_addr, a_nul_or_an_overlong_name_is_refused)
{
	char name[300];
	struct token_addr a;

	cr_expect_eq(token_parse_addr("a\0b:80", 6, &a), -1, "NUL in the host");
	memset(name, 'a', sizeof(name));
	memcpy(name + 260, ":80", 3);
	cr_expect_eq(token_parse_addr(name, 263, &a), -1, "260-byte host");
}
