// SPDX-License-Identifier: MIT
/*
 * Secret storage: every copy lives in pages of its own that core dumps
 * leave out (MADV_DONTDUMP), and is wiped before they are unmapped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "auth/secret.h"

/* The secret, its '\0', then its 32-byte key, in whole pages. */
static size_t span(size_t len)
{
	size_t page = 4096;

	return (len + 1 + 32 + page - 1) / page * page;
}

int secret_v2_key(const char *s, size_t len, uint8_t key[32])
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	size_t klen = 32;
	int ok;

	ok = c && EVP_PKEY_derive_init(c) > 0 &&
	     EVP_PKEY_CTX_set_hkdf_md(c, EVP_sha256()) > 0 &&
	     EVP_PKEY_CTX_set1_hkdf_salt(c, (const unsigned char *)"sockgate",
					 8) > 0 &&
	     EVP_PKEY_CTX_set1_hkdf_key(c, (const unsigned char *)s, (int)len) >
		     0 &&
	     EVP_PKEY_CTX_add1_hkdf_info(c, (const unsigned char *)"token v2",
					 8) > 0 &&
	     EVP_PKEY_derive(c, key, &klen) > 0 && klen == 32;
	EVP_PKEY_CTX_free(c);
	return ok ? 0 : -1;
}

int secrets_add(struct secrets *sec, const char *s, size_t len)
{
	struct secret *v;
	char *copy;

	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	copy = mmap(NULL, span(len), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (copy == MAP_FAILED)
		return -1;
	madvise(copy, span(len), MADV_DONTDUMP);
	/* each token's key from the secret: derived here, not per token */
	if (secret_v2_key(s, len, (uint8_t *)copy + len + 1) < 0) {
		munmap(copy, span(len));
		errno = EIO;
		return -1;
	}
	v = realloc(sec->v, (sec->n + 1) * sizeof(*v));
	if (!v) {
		OPENSSL_cleanse(copy, span(len));
		munmap(copy, span(len));
		return -1;
	}
	memcpy(copy, s, len);
	copy[len] = '\0';
	sec->v = v;
	sec->v[sec->n].s = copy;
	sec->v[sec->n].len = len;
	sec->v[sec->n].v2key = (const uint8_t *)copy + len + 1;
	sec->n++;
	return 0;
}

int secret_mode_ok(const struct stat *st, gid_t group)
{
	mode_t g = st->st_mode & 070;

	return !(st->st_mode & 007) &&
	       (!g || (g == 040 && group != (gid_t)-1 && st->st_gid == group));
}

int secrets_load_file(struct secrets *sec, const char *path, gid_t group,
		      unsigned *bad_line)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int ret = 0, saved;
	unsigned lineno = 0;
	FILE *f = fopen(path, "re");
	struct stat st;

	if (!f)
		return -1;
	/* like ssh with a private key: a secret others can read is no
	 * secret, and the gateway will not pretend it is */
	if (fstat(fileno(f), &st) < 0 || !secret_mode_ok(&st, group)) {
		fclose(f);
		errno = EPERM;
		return -1;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (n > SECRET_LINE_MAX) {
			if (bad_line)
				*bad_line = lineno;
			errno = EFBIG;
			ret = -1;
			break;
		}
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		if (n == 0)
			continue;
		if (secrets_add(sec, line, (size_t)n) < 0) {
			ret = -1;
			break;
		}
	}
	saved = errno;
	if (line) {
		OPENSSL_cleanse(line, cap);
		free(line);
	}
	if (ferror(f))
		ret = -1;
	fclose(f);
	errno = saved;
	return ret;
}

void secrets_free(struct secrets *sec)
{
	for (size_t i = 0; i < sec->n; i++) {
		OPENSSL_cleanse(sec->v[i].s, span(sec->v[i].len));
		munmap(sec->v[i].s, span(sec->v[i].len));
	}
	free(sec->v);
	sec->v = NULL;
	sec->n = 0;
}
