// SPDX-License-Identifier: MIT
/* auth/claims.c and auth/uses.c: the claims' bytes, the use table. */
#include <arpa/inet.h>
#include <string.h>

#include "auth/claims.h"
#include "auth/uses.h"
#include "core/addr.h"
#include "unit.h"

TestSuite(claims, .timeout = 10);

/* the address, then the claims' bytes */
static size_t plain_of(const uint8_t *claims, size_t n, uint8_t *out)
{
	memcpy(out, "10.0.0.1:7", 10);
	memcpy(out + 10, claims, n);
	return 10 + n;
}

Test(claims, encode_then_parse)
{
	struct token_claims c = { .has_not_before = 1,
				  .not_before = 1767225000,
				  .uses = 3 },
			    back;
	uint8_t out[64];
	const char *why = NULL;
	size_t alen;
	int n;

	cr_assert_eq(claims_client_parse("2001:db8::77/48", &c.client), 0);
	c.has_client = 1;
	/* host bits go: the network's address, as every issuer writes it */
	cr_assert_eq(c.client.ip[6], 0);
	n = claims_encode(&c, out + 10, sizeof(out) - 10);
	cr_assert_eq(n, 1 + 20 + 10 + 6);
	memcpy(out, "10.0.0.1:7", 10);
	cr_assert_eq(claims_parse(out, 10 + (size_t)n, &alen, &back, &why), 0,
		     "%s", why);
	cr_assert_eq(alen, 10);
	cr_assert(back.has_client && back.client.family == AF_INET6 &&
		  back.client.prefix == 48);
	cr_assert_eq(back.not_before, 1767225000);
	cr_assert_eq(back.uses, 3);
	/* none: no bytes at all, and the plaintext is the address */
	memset(&c, 0, sizeof(c));
	cr_assert_eq(claims_encode(&c, out, sizeof(out)), 0);
	cr_assert_eq(
		claims_parse((const uint8_t *)"h:1", 3, &alen, &back, &why), 0);
	cr_assert_eq(alen, 3);
	cr_assert(!claims_any(&back));
}

/* Every malformed form refuses the token, with a reason. */
Test(claims, malformed_ones_refuse)
{
	static const struct {
		uint8_t b[24];
		size_t n;
		const char *why;
	} bad[] = {
		{ { 0 }, 1, "empty" },
		{ { 0, 3, 4, 0, 0, 0 }, 5, "cut short" },
		{ { 0, 3, 4, 0, 0, 0, 1, 2, 4, 0, 0, 0, 1 },
		  13,
		  "out of order" },
		{ { 0, 3, 4, 0, 0, 0, 1, 3, 4, 0, 0, 0, 1 },
		  13,
		  "out of order" },
		{ { 0, 3, 4, 0, 0, 0, 0 }, 7, "use limit" },
		{ { 0, 2, 4, 0, 0, 0, 1 }, 7, "not-before" },
		{ { 0, 1, 6, 5, 8, 10, 0, 0, 1 }, 9, "client claim" },
		{ { 0, 1, 6, 4, 33, 10, 0, 0, 1 }, 9, "client claim" },
		{ { 0, 1, 6, 6, 8, 10, 0, 0, 1 }, 9, "client claim" },
		{ { 0, 9, 0 }, 3, "does not know" },
		{ { 0, 1 }, 2, "cut short" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t p[64];
		struct token_claims c;
		const char *why = "";
		size_t alen, n = plain_of(bad[i].b, bad[i].n, p);

		cr_expect_eq(claims_parse(p, n, &alen, &c, &why), -1,
			     "case %zu taken", i);
		cr_expect(strstr(why, bad[i].why), "case %zu: %s", i, why);
	}
	cr_assert_eq(claims_client_parse("10.0.0.0/33",
					 &(struct allow_rule){ 0 }),
		     -1);
	cr_assert_eq(claims_client_parse("nonsense", &(struct allow_rule){ 0 }),
		     -1);
	cr_assert_eq(claims_client_parse("[::1]", &(struct allow_rule){ 0 }),
		     -1);
}

Test(claims, use_table_counts_expires_and_fills)
{
	_Atomic int64_t used = 0;
	struct uses u;

	cr_assert_eq(uses_init(&u, 4, &used), 0);
	cr_assert_eq(uses_take(&u, 1, 2, 100, 10), USES_OK);
	cr_assert_eq(uses_take(&u, 1, 2, 100, 11), USES_OK);
	cr_assert_eq(uses_take(&u, 1, 2, 100, 12), USES_SPENT);
	cr_assert_eq(atomic_load(&used), 1);
	for (uint64_t id = 2; id <= 4; id++)
		cr_assert_eq(uses_take(&u, id, 1, 50, 12), USES_OK);
	cr_assert_eq(uses_take(&u, 5, 1, 50, 12), USES_FULL, "four at most");
	cr_assert_eq(uses_take(&u, 1, 2, 100, 13), USES_SPENT,
		     "a full table forgets nothing");
	/* at 50 the three short ones expire: room again */
	cr_assert_eq(uses_take(&u, 5, 1, 200, 50), USES_OK);
	cr_assert_eq(atomic_load(&used), 2);
	uses_sweep(&u, 200);
	cr_assert_eq(atomic_load(&used), 0);
	uses_fini(&u);
	/* no table: every limited token is refused */
	cr_assert_eq(uses_init(&u, 0, &used), 0);
	cr_assert_eq(uses_take(&u, 1, 1, 100, 1), USES_FULL);
	uses_fini(&u);
}
