// SPDX-License-Identifier: MIT
/* Token issuing in C, on the gateway's own token code: sockgate_issuer.h. */
#include <stdint.h>
#include <string.h>
#include <time.h>

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
			     NULL, address, strlen(address), out, out_len);
}
