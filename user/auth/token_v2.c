// SPDX-License-Identifier: MIT
/* Version 2 tokens, AES-256-GCM: see auth/token_v2.h. */
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "auth/claims.h"
#include "auth/token_legacy.h"
#include "auth/token_v2.h"

#define NONCE_LEN 12
#define RAW_MAX (TOKEN_V2_HDR + TOKEN_ADDR_MAX + CLAIMS_MAX + TOKEN_V2_TAG)

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int token_v2_is(const char *text, size_t len)
{
	/* a version byte of 2 encodes to 'A' then one of 'C' to 'F' ... */
	return len > 2 && text[0] == 'A' && strncmp(text, "U2FsdGVk", 8) != 0;
}

static int b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-' || c == '+')
		return 62;
	if (c == '_' || c == '/')
		return 63;
	return -1;
}

/* base64url or standard, padding optional. Bytes, or -1. */
static int b64_decode(const char *in, size_t len, uint8_t *out, size_t max)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;

	while (len > 0 && in[len - 1] == '=')
		len--;
	for (size_t i = 0; i < len; i++) {
		int v = b64_val(in[i]);

		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == max)
				return -1;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	/* the leftover bits of the last character must be zero */
	if (bits >= 6 || (acc & ((1u << bits) - 1)))
		return -1;
	return (int)n;
}

static size_t b64_encode(const uint8_t *in, size_t len, char *out)
{
	size_t n = 0;
	uint32_t acc = 0;
	int bits = 0;

	for (size_t i = 0; i < len; i++) {
		acc = acc << 8 | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[n++] = b64url[(acc >> bits) & 63];
		}
	}
	if (bits)
		out[n++] = b64url[(acc << (6 - bits)) & 63];
	out[n] = '\0';
	return n;
}

/* AES-256-GCM, fetched once: a fetch at each token's cipher start
 * costs a lookup under the provider store's lock */
static EVP_CIPHER *gcm_cipher;
static pthread_once_t gcm_once = PTHREAD_ONCE_INIT;

static void gcm_fetch(void)
{
	gcm_cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
}

static const EVP_CIPHER *gcm(void)
{
	pthread_once(&gcm_once, gcm_fetch);
	return gcm_cipher ? gcm_cipher : EVP_aes_256_gcm();
}

/* AES-256-GCM with key, the token's nonce, and its header as the
 * additional authenticated data; enc 1 seals, 0 opens. 1 or 0. */
static int gcm_begin(EVP_CIPHER_CTX *ctx, const uint8_t key[32],
		     const uint8_t *raw, int enc)
{
	int n;

	return EVP_CipherInit_ex(ctx, gcm(), NULL, NULL, NULL, enc) &&
	       EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN,
				   NULL) &&
	       EVP_CipherInit_ex(ctx, NULL, NULL, key, raw + 9, enc) &&
	       EVP_CipherUpdate(ctx, NULL, &n, raw, TOKEN_V2_HDR);
}

int token_id(const char *text, size_t len, uint64_t *id)
{
	uint8_t raw[21];
	int off;

	if (token_v2_is(text, len)) {
		if (len < 28 || b64_decode(text, 28, raw, 21) != 21)
			return -1;
		off = 9;
	} else {
		if (len < 24 || b64_decode(text, 24, raw, 18) != 18 ||
		    memcmp(raw, "Salted__", 8) != 0)
			return -1;
		off = 8;
	}
	*id = 0;
	for (int i = 0; i < 8; i++)
		*id = *id << 8 | raw[off + i];
	return 0;
}

int token_v2_seal(const char *secret, size_t slen, uint64_t expiry,
		  const uint8_t *nonce, const char *addr, size_t alen,
		  const struct token_claims *c, char *out, size_t out_max)
{
	uint8_t raw[RAW_MAX], key[32], plain[TOKEN_ADDR_MAX + CLAIMS_MAX];
	size_t rlen, plen;
	EVP_CIPHER_CTX *ctx;
	int n = 0, m = 0, ok, cl;

	if (alen == 0 || alen > TOKEN_ADDR_MAX || memchr(addr, 0, alen))
		return -1;
	memcpy(plain, addr, alen);
	cl = c ? claims_encode(c, plain + alen, CLAIMS_MAX) : 0;
	/* a use limit needs an expiry: the gateway forgets used tokens then */
	if (cl < 0 || (c && c->uses && !expiry))
		return -1;
	plen = alen + (size_t)cl;
	rlen = TOKEN_V2_HDR + plen + TOKEN_V2_TAG;
	if ((rlen * 4 + 2) / 3 + 1 > out_max)
		return -1;
	raw[0] = TOKEN_V2_VERSION;
	for (int i = 0; i < 8; i++)
		raw[1 + i] = (uint8_t)(expiry >> (56 - 8 * i));
	if (nonce)
		memcpy(raw + 9, nonce, NONCE_LEN);
	else if (RAND_bytes(raw + 9, NONCE_LEN) != 1)
		return -1;
	if (secret_v2_key(secret, slen, key) < 0)
		return -1;
	ctx = EVP_CIPHER_CTX_new();
	ok = ctx && gcm_begin(ctx, key, raw, 1) &&
	     EVP_EncryptUpdate(ctx, raw + TOKEN_V2_HDR, &n, plain, (int)plen) &&
	     EVP_EncryptFinal_ex(ctx, raw + TOKEN_V2_HDR + n, &m) &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TOKEN_V2_TAG,
				 raw + TOKEN_V2_HDR + plen);
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(plain, sizeof(plain));
	if (!ok || (size_t)(n + m) != plen)
		return -1;
	return (int)b64_encode(raw, rlen, out);
}

/* 0 and the plaintext when key opens raw; -1 when it does not. */
static int open_raw(const uint8_t key[32], uint8_t *raw, size_t rlen,
		    char *plain)
{
	size_t clen = rlen - TOKEN_V2_HDR - TOKEN_V2_TAG;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, m = 0, ok;

	ok = ctx && gcm_begin(ctx, key, raw, 0) &&
	     EVP_DecryptUpdate(ctx, (uint8_t *)plain, &n, raw + TOKEN_V2_HDR,
			       (int)clen) &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TOKEN_V2_TAG,
				 raw + rlen - TOKEN_V2_TAG) &&
	     EVP_DecryptFinal_ex(ctx, (uint8_t *)plain + n, &m) > 0;
	EVP_CIPHER_CTX_free(ctx);
	return ok && (size_t)(n + m) == clen ? 0 : -1;
}

int token_v2_open(const struct secrets *sec, const char *text, size_t len,
		  uint64_t now, char *plain, size_t max, size_t *plen,
		  uint64_t *expiry)
{
	uint8_t raw[RAW_MAX];
	int rlen = b64_decode(text, len, raw, sizeof(raw));
	size_t clen;
	int ret = -1;

	if (rlen < TOKEN_V2_HDR + 1 + TOKEN_V2_TAG ||
	    raw[0] != TOKEN_V2_VERSION)
		return -1;
	clen = (size_t)rlen - TOKEN_V2_HDR - TOKEN_V2_TAG;
	if (clen + 1 > max)
		return -1;
	for (size_t i = 0; i < sec->n && ret < 0; i++)
		if (open_raw(sec->v[i].v2key, raw, (size_t)rlen, plain) == 0)
			ret = 0;
	if (ret < 0)
		return -1;
	plain[clen] = '\0';
	*plen = clen;
	*expiry = 0;
	for (int i = 0; i < 8; i++)
		*expiry = *expiry << 8 | raw[1 + i];
	if (*expiry && now >= *expiry)
		return -2;
	return 0;
}
