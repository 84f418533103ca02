/* SPDX-License-Identifier: MIT */
#ifndef SOCKGATE_ISSUER_H
#define SOCKGATE_ISSUER_H

#include <stddef.h>

/*
 * Token issuing, for the service that hands clients their server list
 * (never in client code: it needs the secret). Link with the gateway's
 * user/auth/token_legacy.c and user/auth/token_v2.c and libcrypto. ttl > 0: the token
 * expires after ttl seconds; legacy: the openssl enc form (sha256)
 * instead of the authenticated one. Writes a NUL-terminated line into
 * out; its length, or -1.
 */
int sg_issue_token(const char *address, const char *secret, long ttl,
		   int legacy, char *out, size_t out_len);

#endif
