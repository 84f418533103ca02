// SPDX-License-Identifier: MIT
/* auth/revoke.c: --revoke-file's entries and what they match. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/revoke.h"
#include "unit.h"

TestSuite(revoke, .timeout = 10);

static const char *file_with(const char *text)
{
	static char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/sg-unit-revoke.%d", getpid());
	f = fopen(path, "w");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static struct token_addr dest(const char *text)
{
	struct token_addr a;

	cr_assert_eq(token_parse_addr(text, strlen(text), &a), 0, "%s", text);
	return a;
}

Test(revoke, ids_cidrs_and_names)
{
	struct revoke r;
	struct token_addr a;
	char why[256] = "", id[TOKEN_ID_TEXT];
	const char *path = file_with("# revoked\n"
				     "00000000000000ff\n"
				     "4328AEB6cc6e0cf7   # a leak\n"
				     "10.1.2.0/24\n"
				     "[2001:db8::]/32:443\n"
				     "game-7.internal:7000\n"
				     "Other.Example\n");

	cr_assert_eq(revoke_load(&r, path, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(r.nids, 2);
	cr_assert(revoke_id(&r, 0xff) && revoke_id(&r, 0x4328aeb6cc6e0cf7ull));
	cr_assert(!revoke_id(&r, 0xfe));
	token_id_fmt(0x4328aeb6cc6e0cf7ull, id);
	cr_assert_str_eq(id, "4328aeb6cc6e0cf7");
	a = dest("10.1.2.9:80");
	cr_assert(revoke_dest(&r, &a));
	a = dest("10.1.3.9:80");
	cr_assert(!revoke_dest(&r, &a));
	a = dest("[2001:db8::5]:443");
	cr_assert(revoke_dest(&r, &a));
	a = dest("[2001:db8::5]:444");
	cr_assert(!revoke_dest(&r, &a), "the port is part of it");
	a = dest("game-7.internal:7000");
	cr_assert(revoke_dest(&r, &a));
	a = dest("game-7.internal:7001");
	cr_assert(!revoke_dest(&r, &a));
	a = dest("other.example:1");
	cr_assert(revoke_dest(&r, &a), "a name alone: any port, any case");
	revoke_free(&r);
	unlink(path);
}

Test(revoke, a_bad_line_names_itself)
{
	struct revoke r;
	char why[256] = "";
	const char *path = file_with("00000000000000ff\n"
				     "10.0.0.0/8\n"
				     "0123456789abcde\n");

	cr_assert_eq(revoke_load(&r, path, why, sizeof(why)), -1);
	cr_assert(strstr(why, ":3: not a token id, CIDR or HOST:PORT: "
			      "0123456789abcde"),
		  "%s", why);
	cr_assert_eq(r.nids + r.dest.n + r.nnames, 0, "left empty");
	path = file_with("bad host!:1\n");
	cr_assert_eq(revoke_load(&r, path, why, sizeof(why)), -1);
	cr_assert(strstr(why, ":1:"), "%s", why);
	unlink(path);
}
