/* SPDX-License-Identifier: MIT */
#ifndef SG_SECRET_H
#define SG_SECRET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* The accepted secrets; several during a rotation. */
struct secrets {
	size_t n;
	struct secret {
		char *s;
		size_t len;
		/* the version 2 token key, HKDF of s (secret_v2_key()),
		 * derived once when the secret is added: in s's pages */
		const uint8_t *v2key;
	} * v;
};

/*
 * The version 2 token key of a secret: HKDF-SHA256, salt "sockgate",
 * info "token v2". 0, or -1 when libcrypto fails.
 */
int secret_v2_key(const char *s, size_t len, uint8_t key[32]);

/* Appends one secret (copied) with its key. Returns 0 or -1 (ENOMEM;
 * EINVAL: empty; EIO: no key). */
int secrets_add(struct secrets *sec, const char *s, size_t len);
/*
 * Reads one secret a line; empty lines are skipped. Others may have no
 * access; the group only read access, and only when it is `group` (the
 * --user's, which reads the file again on a reload; (gid_t)-1: none).
 * 0, or -1 with errno (EPERM: the mode; EFBIG: a line longer than
 * SECRET_LINE_MAX, its number in *bad_line when bad_line is set).
 */
#define SECRET_LINE_MAX 4096
int secrets_load_file(struct secrets *sec, const char *path, gid_t group,
		      unsigned *bad_line);
/* Wipes and frees. */
void secrets_free(struct secrets *sec);
/* A file holding a secret (or a private key) is private enough: others
 * have no access, the group none or reading when it is `group`. */
int secret_mode_ok(const struct stat *st, gid_t group);

#endif
