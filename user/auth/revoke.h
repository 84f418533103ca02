/* SPDX-License-Identifier: MIT */
#ifndef SG_REVOKE_H
#define SG_REVOKE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "auth/allow.h"
#include "auth/token_legacy.h"
#include "core/addr.h"

/*
 * --revoke-file: what no token may open any more, one entry a line ('#'
 * starts a comment):
 *   a token id     16 hex digits (the first 8 bytes of a version 2
 *                  token's nonce, or of a legacy token's salt), as
 *                  `sockgatectl decrypt` prints and session lines log
 *   a destination  CIDR[:PORT[-PORT]] as --allow takes (an address alone
 *                  is a /32 or /128), or a DNS name with or without
 *                  ":PORT", compared with what the token names
 */
#define TOKEN_ID_TEXT 17 /* 16 hex digits and a NUL */

struct revoke_name {
	char host[254];
	uint16_t port; /* 0: any */
};

struct revoke {
	uint64_t *ids; /* sorted */
	size_t nids;
	struct allow dest;
	struct revoke_name *names;
	size_t nnames;
};

/* Reads the file into r (empty at first). 0, or -1 with the reason (the
 * line that does not parse, or the file that cannot be read) in why;
 * r is then left empty. */
int revoke_load(struct revoke *r, const char *path, char *why, size_t len);
void revoke_free(struct revoke *r);
int revoke_id(const struct revoke *r, uint64_t id);
/* Does the token's destination match (by name or literal address)? */
int revoke_dest(const struct revoke *r, const struct token_addr *a);
/* Does a backend address match a CIDR entry (names cannot: a live
 * session keeps no name)? */
int revoke_addr(const struct revoke *r, const struct sockaddr *sa);
int revoke_caddr(const struct revoke *r, const struct sg_caddr *c);
void token_id_fmt(uint64_t id, char out[TOKEN_ID_TEXT]);

#endif
