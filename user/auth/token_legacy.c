// SPDX-License-Identifier: MIT
/*
 * Tokens: base64 of OpenSSL enc's salted format ("Salted__", 8 bytes of
 * salt, AES-256-CBC ciphertext), key and IV from EVP_BytesToKey with one
 * iteration of MD5 (OpenSSL 1.0) or SHA-256 (1.1 and later).
 */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "auth/token_legacy.h"

#define SALT_MAGIC "Salted__"
#define SALT_LEN 8
#define HDR_LEN (sizeof(SALT_MAGIC) - 1 + SALT_LEN)
#define BLOCK 16
/* Decoded size of the longest line, rounded up. */
#define RAW_MAX (TOKEN_LINE_MAX / 4 * 3 + 3)

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int parse_port(const char *s, size_t len, uint16_t *port)
{
	unsigned v = 0;

	if (len == 0 || len > 5)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	/* 0 is well formed (the original gateway answers 502 for it: no
	 * connect reaches it) */
	if (v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* RFC 1123 host name: labels of letters, digits, '-' ('_' tolerated). */
static int valid_name(const char *s, size_t len)
{
	size_t label = 0;
	int last_all_digits = 1;

	if (len > 0 && s[len - 1] == '.')
		len--; /* absolute name */
	if (len == 0 || len > 253)
		return 0;
	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? s[i] : '.';

		if (c == '.') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (label == 0) {
			if (c == '-')
				return 0;
			last_all_digits = 1;
		}
		if (!is_digit(c))
			last_all_digits = 0;
		if (!(is_digit(c) || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z') || c == '-' || c == '_'))
			return 0;
		label++;
	}
	/* "1.2.3.999" is a bad IPv4 literal, not a name to look up */
	return !last_all_digits;
}

int token_parse_addr(const char *s, size_t len, struct token_addr *out)
{
	const char *colon = NULL, *host = s;
	size_t hlen;

	memset(out, 0, sizeof(*out));
	for (size_t i = len; i > 0; i--) {
		if (s[i - 1] == ':') {
			colon = s + i - 1;
			break;
		}
	}
	if (!colon) {
		/* a name alone names an SRV record: _svc._proto.name, or
		 * Consul's svc.service.consul; literals need their port */
		if (len == 0 || len >= sizeof(out->host) ||
		    memchr(s, '\0', len) || !valid_name(s, len))
			return -1;
		memcpy(out->host, s, len);
		out->family = AF_UNSPEC;
		out->srv = 1;
		return 0;
	}
	if (parse_port(colon + 1, len - (size_t)(colon - s) - 1, &out->port) <
	    0)
		return -1;
	hlen = (size_t)(colon - s);
	if (hlen >= 2 && s[0] == '[') {
		if (s[hlen - 1] != ']')
			return -1;
		host++;
		hlen -= 2;
		if (hlen == 0 || hlen >= sizeof(out->host))
			return -1;
		memcpy(out->host, host, hlen);
		if (inet_pton(AF_INET6, out->host, &out->ip.v6) != 1)
			return -1;
		out->family = AF_INET6;
		return 0;
	}
	if (hlen == 0 || hlen >= sizeof(out->host))
		return -1;
	memcpy(out->host, host, hlen);
	if (memchr(host, '\0', hlen))
		return -1;
	if (inet_pton(AF_INET, out->host, &out->ip.v4) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (!valid_name(host, hlen))
		return -1;
	out->family = AF_UNSPEC;
	return 0;
}

static int b64_decode(const char *in, size_t len, uint8_t *out, size_t max)
{
	EVP_ENCODE_CTX *ctx;
	int n = 0, m = 0, ok;

	if (len == 0 || len > TOKEN_LINE_MAX || len / 4 * 3 + 3 > max)
		return -1;
	/* one line, standard alphabet: EVP_Decode* would also skip blanks */
	for (size_t i = 0; i < len; i++) {
		char c = in[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      is_digit(c) || c == '+' || c == '/' || c == '='))
			return -1;
	}
	ctx = EVP_ENCODE_CTX_new();
	if (!ctx)
		return -1;
	EVP_DecodeInit(ctx);
	ok = EVP_DecodeUpdate(ctx, out, &n, (const unsigned char *)in,
			      (int)len) >= 0 &&
	     EVP_DecodeFinal(ctx, out + n, &m) == 1;
	EVP_ENCODE_CTX_free(ctx);
	return ok ? n + m : -1;
}

static const EVP_MD *md_of(enum token_md md)
{
	return md == TOKEN_MD_MD5 ? EVP_md5() : EVP_sha256();
}

/* Decrypts raw (header checked) with one secret and digest. */
static int decrypt_raw(const char *secret, size_t slen, enum token_md md,
		       const uint8_t *raw, size_t rlen, uint8_t *plain)
{
	uint8_t key[32], iv[16];
	EVP_CIPHER_CTX *ctx;
	int n = 0, m = 0, ok;

	if (EVP_BytesToKey(EVP_aes_256_cbc(), md_of(md), raw + 8,
			   (const unsigned char *)secret, (int)slen, 1, key,
			   iv) != 32)
		return -1;
	ctx = EVP_CIPHER_CTX_new();
	ok = ctx && EVP_DecryptInit_ex(ctx, EVP_aes_256_cbc(), NULL, key, iv) &&
	     EVP_DecryptUpdate(ctx, plain, &n, raw + HDR_LEN,
			       (int)(rlen - HDR_LEN)) &&
	     EVP_DecryptFinal_ex(ctx, plain + n, &m);
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(iv, sizeof(iv));
	return ok ? n + m : -1;
}

static int decode_checked(const char *b64, size_t len, uint8_t *raw)
{
	int rlen = b64_decode(b64, len, raw, RAW_MAX);

	if (rlen < (int)(HDR_LEN + BLOCK) || (rlen - (int)HDR_LEN) % BLOCK ||
	    memcmp(raw, SALT_MAGIC, sizeof(SALT_MAGIC) - 1) != 0)
		return -1;
	return rlen;
}

int token_open(const struct secrets *sec, const char *b64, size_t len,
	       struct token_addr *out)
{
	static const enum token_md order[] = { TOKEN_MD_MD5, TOKEN_MD_SHA256 };
	uint8_t raw[RAW_MAX], plain[RAW_MAX];
	int rlen = decode_checked(b64, len, raw);
	int ret = -1;

	if (rlen < 0)
		return -1;
	for (size_t i = 0; i < sec->n && ret < 0; i++) {
		for (size_t j = 0; j < 2 && ret < 0; j++) {
			int n = decrypt_raw(sec->v[i].s, sec->v[i].len,
					    order[j], raw, (size_t)rlen, plain);

			/* a wrong key passes the padding check 1 time in 256 */
			if (n > 0 && n <= TOKEN_ADDR_MAX &&
			    token_parse_addr((char *)plain, (size_t)n, out) ==
				    0)
				ret = 0;
		}
	}
	OPENSSL_cleanse(plain, sizeof(plain));
	return ret;
}

int token_decrypt(const char *secret, size_t slen, enum token_md md,
		  const char *b64, size_t len, uint8_t *plain, size_t plain_max)
{
	uint8_t raw[RAW_MAX], tmp[RAW_MAX];
	int rlen = decode_checked(b64, len, raw);
	int n;

	if (rlen < 0 || md == TOKEN_MD_AUTO)
		return -1;
	n = decrypt_raw(secret, slen, md, raw, (size_t)rlen, tmp);
	if (n < 0 || (size_t)n > plain_max) {
		OPENSSL_cleanse(tmp, sizeof(tmp));
		return -1;
	}
	memcpy(plain, tmp, (size_t)n);
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return n;
}

int token_encrypt(const char *secret, size_t slen, enum token_md md,
		  const uint8_t *plain, size_t plen, char *out, size_t out_max)
{
	uint8_t raw[RAW_MAX], key[32], iv[16];
	EVP_CIPHER_CTX *ctx;
	int n = 0, m = 0, ok;
	size_t rlen = HDR_LEN + (plen / BLOCK + 1) * BLOCK;

	if (md == TOKEN_MD_AUTO)
		md = TOKEN_MD_SHA256;
	if (rlen > RAW_MAX || (rlen + 2) / 3 * 4 + 1 > out_max)
		return -1;
	memcpy(raw, SALT_MAGIC, sizeof(SALT_MAGIC) - 1);
	if (RAND_bytes(raw + 8, SALT_LEN) != 1 ||
	    EVP_BytesToKey(EVP_aes_256_cbc(), md_of(md), raw + 8,
			   (const unsigned char *)secret, (int)slen, 1, key,
			   iv) != 32)
		return -1;
	ctx = EVP_CIPHER_CTX_new();
	ok = ctx && EVP_EncryptInit_ex(ctx, EVP_aes_256_cbc(), NULL, key, iv) &&
	     EVP_EncryptUpdate(ctx, raw + HDR_LEN, &n, plain, (int)plen) &&
	     EVP_EncryptFinal_ex(ctx, raw + HDR_LEN + n, &m);
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(iv, sizeof(iv));
	if (!ok || HDR_LEN + (size_t)(n + m) != rlen)
		return -1;
	return EVP_EncodeBlock((unsigned char *)out, raw, (int)rlen);
}
