/* SPDX-License-Identifier: MIT */
#ifndef SOCKGATE_ISSUER_H
#define SOCKGATE_ISSUER_H

#include <stddef.h>

/*
 * Token issuing, for the service that hands clients their server list
 * (never in client code: it needs the secret). Link with the gateway's
 * user/auth/token_legacy.c, user/auth/token_v2.c and user/auth/claims.c and libcrypto. ttl > 0: the token
 * expires after ttl seconds; legacy: the openssl enc form (sha256)
 * instead of the authenticated one. Writes a NUL-terminated line into
 * out; its length, or -1.
 */
int sg_issue_token(const char *address, const char *secret, long ttl,
		   int legacy, char *out, size_t out_len);

/* Claims a version 2 token can carry (README "Token claims"); each is
 * optional, and a gateway checks them all. */
struct sg_claims {
	const char *client;   /* "ADDR" or "ADDR/N": good from there only */
	long long not_before; /* Unix seconds; 0: from now */
	unsigned long uses;   /* connections per gateway; 0: any. Needs a
			       * ttl: gateways remember a token until then */
};

/* The same with claims (NULL: none), version 2 only; -1 also for a
 * claim that does not parse, or uses without a ttl. Link
 * user/auth/claims.c too. */
int sg_issue_token_claims(const char *address, const char *secret, long ttl,
			  const struct sg_claims *claims, char *out,
			  size_t out_len);

#endif
