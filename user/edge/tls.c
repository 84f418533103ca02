// SPDX-License-Identifier: MIT
/* The server's TLS context, loaded at start-up and again on SIGHUP. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "auth/secret.h"
#include "edge/tls.h"

/* libssl's last error, or fallback. */
static const char *ssl_reason(const char *fallback)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	return r ? r : fallback;
}

/* The key, read by us so that its mode is checked on the file opened. */
static EVP_PKEY *load_key(const char *path, gid_t group, char *why,
			  size_t whylen)
{
	FILE *f = fopen(path, "re");
	struct stat st;
	EVP_PKEY *k;

	if (!f) {
		snprintf(why, whylen, "cannot read --tls-key %s: %s", path,
			 strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) < 0 || !secret_mode_ok(&st, group)) {
		fclose(f);
		snprintf(why, whylen,
			 "--tls-key %s is open to others, or to a group other "
			 "than --user's: chmod 600 it (or 640 with --user's "
			 "group)",
			 path);
		return NULL;
	}
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!k)
		snprintf(why, whylen, "--tls-key %s: no PEM private key (%s)",
			 path, ssl_reason("unreadable"));
	return k;
}

/* A warning when the leaf certificate is outside its validity period. */
static void check_dates(SSL_CTX *ctx, const char *cert, char *warn,
			size_t warnlen)
{
	X509 *x = SSL_CTX_get0_certificate(ctx);

	if (!x)
		return;
	if (X509_cmp_current_time(X509_get0_notAfter(x)) < 0)
		snprintf(warn, warnlen,
			 "--tls-cert %s has expired: clients that verify it "
			 "will refuse the gateway",
			 cert);
	else if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0)
		snprintf(warn, warnlen,
			 "--tls-cert %s is not valid yet: clients that verify "
			 "it will refuse the gateway",
			 cert);
}

SSL_CTX *tls_ctx_load(const char *cert, const char *key, gid_t group, char *why,
		      size_t whylen, char *warn, size_t warnlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	EVP_PKEY *k = NULL;

	if (warnlen)
		warn[0] = '\0';
	ERR_clear_error();
	if (!ctx) {
		snprintf(why, whylen, "TLS: %s", ssl_reason("out of memory"));
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* no renegotiation (1.2), a client's missing close_notify is its
	 * EOF (it is a TCP proxy: the backend decides what that means),
	 * kernel TLS where the kernel has it */
	SSL_CTX_set_options(
		ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
			     SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_ENABLE_KTLS);
	/* the pump writes what a buffer holds, which may move between
	 * calls (core of fwd/stream.c); idle sessions keep no buffers */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				      SSL_MODE_RELEASE_BUFFERS);
	if (access(cert, R_OK) < 0) {
		snprintf(why, whylen, "cannot read --tls-cert %s: %s", cert,
			 strerror(errno));
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		snprintf(why, whylen, "--tls-cert %s: no PEM certificate (%s)",
			 cert, ssl_reason("unreadable"));
		goto fail;
	}
	k = load_key(key, group, why, whylen);
	if (!k)
		goto fail;
	if (SSL_CTX_use_PrivateKey(ctx, k) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(why, whylen,
			 "--tls-key %s does not match --tls-cert %s (%s)", key,
			 cert, ssl_reason("mismatch"));
		goto fail;
	}
	EVP_PKEY_free(k);
	check_dates(ctx, cert, warn, warnlen);
	ERR_clear_error();
	return ctx;
fail:
	EVP_PKEY_free(k);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return NULL;
}

SSL *tls_conn_new(SSL_CTX *ctx, int fd)
{
	SSL *ssl = SSL_new(ctx);

	if (!ssl)
		return NULL;
	if (SSL_set_fd(ssl, fd) != 1) {
		SSL_free(ssl);
		return NULL;
	}
	SSL_set_accept_state(ssl);
	return ssl;
}
