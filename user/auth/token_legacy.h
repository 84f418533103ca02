/* SPDX-License-Identifier: MIT */
#ifndef SG_TOKEN_LEGACY_H
#define SG_TOKEN_LEGACY_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/secret.h"

/* Longest token line accepted, without the "\n" (and an optional "\r"). */
#define TOKEN_LINE_MAX 4096
/* Longest host:port plaintext: a 253-byte name, ":", 5 digits. */
#define TOKEN_ADDR_MAX 262

enum token_md { TOKEN_MD_AUTO, TOKEN_MD_MD5, TOKEN_MD_SHA256 };

struct token_addr {
	int family; /* AF_INET, AF_INET6, or AF_UNSPEC for a DNS name */
	uint16_t port;
	uint8_t srv; /* a name without a port: its SRV record gives them */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} ip;
	char host[254]; /* the literal or name, NUL-terminated, no brackets */
};

/* Strict "host:port" check, or a DNS name alone (an SRV name, srv set);
 * 0 if valid, -1 if not. */
int token_parse_addr(const char *s, size_t len, struct token_addr *out);

/*
 * Decrypts a base64 token with every secret, MD5 then SHA-256 key
 * derivation for each, and accepts the first result whose padding is valid
 * and whose plaintext is a valid address. Returns 0, or -1 if none is.
 */
int token_open(const struct secrets *sec, const char *b64, size_t len,
	       struct token_addr *out);

/*
 * The same for one secret and digest, whatever the plaintext is (the
 * operator's tool decrypts arbitrary tokens). Returns the plaintext length
 * or -1 (bad base64, no Salted__ header, wrong secret or digest).
 */
int token_decrypt(const char *secret, size_t slen, enum token_md md,
		  const char *b64, size_t len, uint8_t *plain,
		  size_t plain_max);

/*
 * openssl enc -aes-256-cbc -a -A -salt: writes a NUL-terminated one-line
 * base64 token into out. Returns its length, or -1.
 */
int token_encrypt(const char *secret, size_t slen, enum token_md md,
		  const uint8_t *plain, size_t plen, char *out, size_t out_max);

#endif
