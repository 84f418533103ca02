/* SPDX-License-Identifier: MIT */
#ifndef SG_TEST_TOKENS_H
#define SG_TEST_TOKENS_H

#include <stdint.h>

/* md "md5", "sha256" or NULL (openssl's default). Returns a static buffer. */
char *ossl_token(const char *secret, const char *plain, const char *md);
/* Runs openssl enc -d; returns malloc'd plaintext or NULL. */
char *ossl_decrypt(const char *secret, const char *token, const char *md);
/* "127.0.0.1:port", in a static buffer. */
const char *loop_addr(uint16_t port);
/* A token of the test secret for 127.0.0.1:port (ossl_token's buffer). */
char *loop_token(uint16_t port);

/* A Python prelude (for `python3 - <<'EOF'`) that derives the version 2
 * key of secret, a string literal, into `key` with the cryptography
 * package's own HKDF: an independent reading of the README's format. It
 * imports base64, os, struct, time and AESGCM too. */
#define PY_V2_KEY(secret)                                                  \
	"import base64, os, struct, time\n"                                \
	"from cryptography.hazmat.primitives.ciphers.aead import AESGCM\n" \
	"from cryptography.hazmat.primitives.kdf.hkdf import HKDF\n"       \
	"from cryptography.hazmat.primitives import hashes\n"              \
	"key = HKDF(algorithm=hashes.SHA256(), length=32, "                \
	"salt=b'sockgate', info=b'token v2').derive(b'" secret "')\n"

#endif
