/* SPDX-License-Identifier: MIT */
#ifndef SG_EDGE_TLS_H
#define SG_EDGE_TLS_H

#include <stddef.h>
#include <sys/types.h>

#include <openssl/ssl.h>

/*
 * The server's TLS context: --tls-cert (PEM, the chain after the leaf)
 * and --tls-key (PEM, private like a secret file: no access for others,
 * the group's only when it is --user's). TLS 1.2 and 1.3; kernel TLS
 * asked for (libssl hands the keys over where the kernel can take them).
 * NULL with the reason in why; warn gets a warning for a certificate out
 * of its validity period (it still loads: an operator may be renewing).
 */
SSL_CTX *tls_ctx_load(const char *cert, const char *key, gid_t group, char *why,
		      size_t whylen, char *warn, size_t warnlen);
/* A server connection on fd (non-blocking), or NULL: out of memory. */
SSL *tls_conn_new(SSL_CTX *ctx, int fd);

#endif
