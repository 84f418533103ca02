/* SPDX-License-Identifier: MIT */
#ifndef SG_CLAIMS_H
#define SG_CLAIMS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "auth/allow.h"

/*
 * Claims of a version 2 token, inside its encrypted and authenticated
 * part: the plaintext is the address, then, when there are claims, a 0
 * byte and one record per claim, in ascending type order, each at most
 * once: type (1 byte), length (1 byte), value.
 *   0x01 client      family (4 or 6), prefix length, the address (4 or
 *                    16 bytes): the token is good from that prefix only
 *   0x02 not-before  Unix seconds, 8 bytes big-endian
 *   0x03 uses        a count, 4 bytes big-endian, at least 1; only in a
 *                    token that expires
 * A token without claims is what version 2 always was. A type the
 * gateway does not know refuses the token: a claim restricts, so one
 * not understood cannot be ignored.
 */
enum {
	CLAIM_CLIENT = 0x01,
	CLAIM_NOT_BEFORE = 0x02,
	CLAIM_USES = 0x03,
};
/* the longest claims: 0, client v6, not-before, uses */
#define CLAIMS_MAX (1 + 2 + 18 + 2 + 8 + 2 + 4)

struct token_claims {
	unsigned has_client : 1, has_not_before : 1;
	struct allow_rule client; /* a CIDR (no port) */
	uint64_t not_before;	  /* Unix seconds */
	uint32_t uses;		  /* 0: no limit */
};

static inline int claims_any(const struct token_claims *c)
{
	return c->has_client || c->has_not_before || c->uses;
}

/*
 * Splits a token's plaintext into the address (its length in *alen) and
 * claims. 0, or -1 with the reason (a static string) in *why.
 */
int claims_parse(const uint8_t *plain, size_t plen, size_t *alen,
		 struct token_claims *c, const char **why);
/* Appends the claims' bytes (nothing when there are none) at out; their
 * length, or -1 when they do not fit in max. */
int claims_encode(const struct token_claims *c, uint8_t *out, size_t max);
/* "ADDR[/N]" (no brackets, no port) for the client claim. 0 or -1. */
int claims_client_parse(const char *cidr, struct allow_rule *r);
/* The claims in words ("client 127.0.0.1/32, not before 1767225600,
 * uses 1"), or "none". */
void claims_fmt(const struct token_claims *c, char *out, size_t len);

#endif
