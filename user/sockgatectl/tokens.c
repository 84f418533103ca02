// SPDX-License-Identifier: MIT
/* sockgatectl: encrypt and decrypt. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "auth/claims.h"
#include "auth/revoke.h"
#include "auth/token_v2.h"
#include "sockgatectl/cmds.h"

int cmd_encrypt(const struct secret *sec, enum token_md md, int legacy,
		long ttl, const struct token_claims *c, const char *plain)
{
	char out[TOKEN_LINE_MAX + 1];
	struct token_addr a;
	int n;

	/* a token no gateway would accept is no token to hand out */
	if (token_parse_addr(plain, strlen(plain), &a) < 0 ||
	    (a.port == 0 && !a.srv)) {
		fprintf(stderr,
			"sockgatectl: encrypt '%s': not HOST:PORT (a port from "
			"1 to 65535) or an SRV name (_service._proto.name)\n",
			plain);
		return 2;
	}
	if (legacy)
		n = token_encrypt(sec->s, sec->len, md, (const uint8_t *)plain,
				  strlen(plain), out, sizeof(out));
	else
		n = token_v2_seal(
			sec->s, sec->len,
			ttl ? (uint64_t)time(NULL) + (uint64_t)ttl : 0, NULL,
			plain, strlen(plain), c, out, sizeof(out));

	if (n < 0) {
		fprintf(stderr, "sockgatectl: cannot encrypt (too long?)\n");
		return 1;
	}
	printf("%s\n", out);
	return 0;
}

/* The token's id (auth/token_v2.h), as --revoke-file takes it. */
static void print_id(const char *tok, size_t tlen)
{
	char id[TOKEN_ID_TEXT];
	uint64_t v;

	if (token_id(tok, tlen, &v) == 0) {
		token_id_fmt(v, id);
		fprintf(stderr, "sockgatectl: token id %s\n", id);
	}
}

static int printable(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return 0;
	return n > 0;
}

int cmd_decrypt(const struct secret *sec, enum token_md md, const char *tok)
{
	static const enum token_md order[] = { TOKEN_MD_MD5, TOKEN_MD_SHA256 };
	uint8_t plain[TOKEN_LINE_MAX];
	struct token_addr a;
	int n = -1, fallback = -1;
	size_t tlen = strcspn(tok, "\r\n");

	if (token_v2_is(tok, tlen)) {
		struct secrets one = { .n = 1, .v = (struct secret *)sec };
		char p2[TOKEN_ADDR_MAX + CLAIMS_MAX + 1], words[160];
		struct token_claims c;
		const char *why;
		uint64_t exp;
		size_t plen, alen;
		int r = token_v2_open(&one, tok, tlen, (uint64_t)time(NULL), p2,
				      sizeof(p2), &plen, &exp);

		if (r == -1) {
			fprintf(stderr, "sockgatectl: the token does not "
					"open with this secret\n");
			return 1;
		}
		if (claims_parse((uint8_t *)p2, plen, &alen, &c, &why) < 0) {
			fprintf(stderr, "sockgatectl: %s\n", why);
			OPENSSL_cleanse(p2, sizeof(p2));
			return 1;
		}
		printf("%.*s\n", (int)alen, p2);
		print_id(tok, tlen);
		claims_fmt(&c, words, sizeof(words));
		fprintf(stderr, "sockgatectl: claims: %s\n", words);
		if (exp)
			fprintf(stderr,
				"sockgatectl: expires %llu (Unix time)%s\n",
				(unsigned long long)exp,
				r == -2 ? ", expired" : "");
		OPENSSL_cleanse(p2, sizeof(p2));
		return r == -2 ? 3 : 0;
	}
	for (int i = 0; i < 2; i++) {
		if (md != TOKEN_MD_AUTO && md != order[i])
			continue;
		n = token_decrypt(sec->s, sec->len, order[i], tok, tlen, plain,
				  sizeof(plain));
		if (n < 0)
			continue;
		/* a wrong digest passes the padding check now and then:
		 * with auto, prefer the one that gives an address */
		if (md != TOKEN_MD_AUTO ||
		    token_parse_addr((char *)plain, (size_t)n, &a) == 0)
			break;
		/* a wrong key passes the padding check 1 time in 256 and
		 * gives random bytes: fall back only to printable text */
		if (fallback < 0 && printable(plain, (size_t)n))
			fallback = i;
		n = -1;
	}
	if (n < 0 && fallback >= 0)
		n = token_decrypt(sec->s, sec->len, order[fallback], tok, tlen,
				  plain, sizeof(plain));
	if (n < 0) {
		fprintf(stderr, "sockgatectl: the token does not decrypt with "
				"this secret\n");
		return 1;
	}
	fwrite(plain, 1, (size_t)n, stdout);
	putchar('\n');
	print_id(tok, tlen);
	OPENSSL_cleanse(plain, sizeof(plain));
	return 0;
}

/* One gateway's pinned sessions map: a line per session. */
