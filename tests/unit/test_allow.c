// SPDX-License-Identifier: MIT
/* auth/allow.c: the destination rules, parsed and matched. */
#include <arpa/inet.h>
#include <string.h>

#include "auth/allow.h"
#include "unit.h"

TestSuite(allow, .timeout = 10);

static struct sockaddr_storage sa(const char *ip, unsigned port)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		cr_assert_eq(inet_pton(AF_INET6, ip, &a->sin6_addr), 1, "%s",
			     ip);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		cr_assert_eq(inet_pton(AF_INET, ip, &a->sin_addr), 1, "%s", ip);
	}
	return ss;
}

Test(allow, parse_refuses_malformed_rules)
{
	static const char *const good[] = {
		"10.0.0.0/8",	  "10.0.0.0/8:7000",	 "10.0.0.5:1-65535",
		"0.0.0.0/0",	  "[2001:db8::]/32:443", "[::1]/128",
		"192.168.1.1/32", "10.0.0.0/8:80-80",
	};
	static const char *const bad[] = {
		"10.0.0.0/33", "10.0.0.0/8:0",	   "10.0.0.0/8:70000",
		"10.0.0.0/8:", "10.0.0.0/8:90-80", "10.0.0/8",
		"host/8",      "[::1]/129",	   "",
		"10.0.0.0/8 ", "10.0.0.0/-1",	   "[2001:db8::]/32:1-2-3",
	};
	struct allow_rule r;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_expect_eq(allow_parse(good[i], &r), 0, "'%s' refused",
			     good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(allow_parse(bad[i], &r), -1, "'%s' taken", bad[i]);
}

Test(allow, match_table)
{
	static const char *const rules[] = { "10.0.0.0/8:7000-7010",
					     "192.168.1.5/32",
					     "[2001:db8::]/32:443" };
	static const struct {
		const char *ip;
		unsigned port;
		int ok;
	} cases[] = {
		{ "10.1.2.3", 7000, 1 },	{ "10.1.2.3", 7010, 1 },
		{ "10.1.2.3", 7011, 0 },	{ "11.0.0.1", 7000, 0 },
		{ "192.168.1.5", 1, 1 },	{ "192.168.1.6", 1, 0 },
		{ "2001:db8::1", 443, 1 },	{ "2001:db8::1", 444, 0 },
		{ "2001:db9::1", 443, 0 },	{ "::ffff:10.0.0.1", 7005, 1 },
		{ "::ffff:11.0.0.1", 7005, 0 },
	};
	struct allow a = { 0 };

	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		struct allow_rule r;

		cr_assert_eq(allow_parse(rules[i], &r), 0, "%s", rules[i]);
		cr_assert_eq(allow_add(&a, &r), 0);
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sockaddr_storage ss = sa(cases[i].ip, cases[i].port);

		cr_expect_eq(!!allow_match(&a, (struct sockaddr *)&ss),
			     cases[i].ok, "%s port %u", cases[i].ip,
			     cases[i].port);
	}
	allow_free(&a);
}
