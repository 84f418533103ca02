// SPDX-License-Identifier: MIT
/* Token issuing in C, on the gateway's own token code: sockgate_issuer.h. */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "../../user/auth/claims.h"
#include "../../user/auth/token_legacy.h"
#include "../../user/auth/token_v2.h"
#include "sockgate_issuer.h"

int sg_issue_token(const char *address, const char *secret, long ttl,
		   int legacy, char *out, size_t out_len)
{
	if (legacy)
		return token_encrypt(secret, strlen(secret), TOKEN_MD_SHA256,
				     (const uint8_t *)address, strlen(address),
				     out, out_len);
	return token_v2_seal(secret, strlen(secret),
			     ttl > 0 ? (uint64_t)time(NULL) + (uint64_t)ttl : 0,
			     NULL, address, strlen(address), NULL, out,
			     out_len);
}

int sg_issue_token_claims(const char *address, const char *secret, long ttl,
			  const struct sg_claims *claims, char *out,
			  size_t out_len)
{
	struct token_claims c = { 0 };

	if (claims && claims->client) {
		if (claims_client_parse(claims->client, &c.client) < 0)
			return -1;
		c.has_client = 1;
	}
	if (claims && claims->not_before) {
		if (claims->not_before < 0)
			return -1;
		c.not_before = (uint64_t)claims->not_before;
		c.has_not_before = 1;
	}
	if (claims && claims->uses) {
		if (claims->uses > UINT32_MAX || ttl <= 0)
			return -1;
		c.uses = (uint32_t)claims->uses;
	}
	return token_v2_seal(secret, strlen(secret),
			     ttl > 0 ? (uint64_t)time(NULL) + (uint64_t)ttl : 0,
			     NULL, address, strlen(address), &c, out, out_len);
}
