// SPDX-License-Identifier: MIT
/* auth/token_v2.c: the published test vectors, both ways. */
#include <string.h>

#include "auth/secret.h"
#include "auth/token_v2.h"
#include "unit.h"

TestSuite(token_v2, .timeout = 10);

#define SECRET "sockgate test vector"
static const uint8_t nonce[12] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };
static const struct {
	uint64_t expiry;
	const char *token;
} vectors[] = {
	{ 0,
	  "AgAAAAAAAAAAAAECAwQFBgcICQoLiDfXmauvsGygJXFx_lhxU2s45Gy7M6dqQfq5" },
	{ 1767225600,
	  "AgAAAABpVbkAAAECAwQFBgcICQoLiDfXmauvsGygJXGwD7wdX5mbGW9_xJck37R5" },
};

Test(token_v2, seal_makes_the_vectors)
{
	for (size_t i = 0; i < 2; i++) {
		char out[256];
		int n = token_v2_seal(SECRET, strlen(SECRET), vectors[i].expiry,
				      nonce, "127.0.0.1:1", 11, NULL, out,
				      sizeof(out));

		cr_assert_gt(n, 0);
		cr_expect_str_eq(out, vectors[i].token);
	}
}

Test(token_v2, open_reads_them_and_refuses_changes)
{
	struct secrets sec = { 0 };
	char plain[64], tok[128];
	size_t plen;
	uint64_t exp;

	cr_assert_eq(secrets_add(&sec, "other", 5), 0);
	cr_assert_eq(secrets_add(&sec, SECRET, strlen(SECRET)), 0);
	for (size_t i = 0; i < 2; i++) {
		const char *t = vectors[i].token;

		cr_expect_eq(token_v2_open(&sec, t, strlen(t), 1767225000,
					   plain, sizeof(plain), &plen, &exp),
			     0);
		cr_expect_eq(plen, 11);
		cr_expect_eq(memcmp(plain, "127.0.0.1:1", 11), 0);
		cr_expect_eq(exp, vectors[i].expiry);
	}
	/* expired a second after its expiry */
	cr_expect_eq(token_v2_open(&sec, vectors[1].token,
				   strlen(vectors[1].token), 1767225601, plain,
				   sizeof(plain), &plen, &exp),
		     -2);
	/* any byte changed: refused */
	for (size_t k = 0; k < strlen(vectors[0].token); k++) {
		strcpy(tok, vectors[0].token);
		tok[k] = tok[k] == 'A' ? 'B' : 'A';
		cr_expect_lt(token_v2_open(&sec, tok, strlen(tok), 0, plain,
					   sizeof(plain), &plen, &exp),
			     0, "byte %zu changed", k);
	}
	secrets_free(&sec);
}
