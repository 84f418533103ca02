/* SPDX-License-Identifier: MIT */
#ifndef SG_TOKEN2_H
#define SG_TOKEN2_H

#include <stddef.h>
#include <stdint.h>

#include "auth/secret.h"

/*
 * Version 2 tokens: authenticated, optionally expiring. The decoded bytes:
 *   [0]      0x02, the version
 *   [1..8]   expiry, Unix seconds, big-endian; 0: none
 *   [9..20]  nonce, 12 random bytes
 *   [21..]   the address ("host:port"), AES-256-GCM encrypted
 *   last 16  the GCM tag
 * The additional authenticated data is bytes 0 to 20; the key is
 * HKDF-SHA256(secret, salt "sockgate", info "token v2"), 32 bytes. The
 * text is base64url without padding (standard base64 is read too).
 */
#define TOKEN_V2_VERSION 0x02
#define TOKEN_V2_HDR 21
#define TOKEN_V2_TAG 16

/* Does the text look like a version 2 token rather than a legacy one
 * (whose base64 starts "U2FsdGVkX1", "Salted__")? */
int token_v2_is(const char *text, size_t len);
/*
 * A token's id: the first 8 bytes of a version 2 token's nonce or of a
 * legacy token's salt, big-endian; random, so it names the token without
 * its secret. 0 and *id, or -1 for text that is neither.
 */
int token_id(const char *text, size_t len, uint64_t *id);
/*
 * Seals addr, and claims when c has any (auth/claims.h; c may be NULL),
 * for secret; nonce NULL: random (tests give a fixed one for
 * the test vector). Writes NUL-terminated base64url into out; returns its
 * length, or -1.
 */
struct token_claims;
int token_v2_seal(const char *secret, size_t slen, uint64_t expiry,
		  const uint8_t *nonce, const char *addr, size_t alen,
		  const struct token_claims *c, char *out, size_t out_max);
/*
 * Opens text with each secret. 0: plain (NUL-terminated, *plen bytes:
 * the address, then any claims, auth/claims.h) and *expiry set; -1: not
 * a version 2 token, tampered, or no secret opens it; -2: authentic but
 * expired at `now` (plain is set all the same: the caller wipes it).
 */
int token_v2_open(const struct secrets *sec, const char *text, size_t len,
		  uint64_t now, char *plain, size_t max, size_t *plen,
		  uint64_t *expiry);

#endif
