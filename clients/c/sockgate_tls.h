/* SPDX-License-Identifier: MIT */
#ifndef SOCKGATE_TLS_H
#define SOCKGATE_TLS_H

#include <openssl/ssl.h>

/*
 * The client over TLS, for a gateway run with --tls-cert: OpenSSL, in a
 * file of its own so that sockgate_client.c stays libc-only. Link with
 * -lssl -lcrypto and sockgate_client.c.
 */

/* A client context: the peer's certificate is verified against the
 * system's CAs, and ca_file's too when given. NULL: out of memory or an
 * unreadable ca_file. */
SSL_CTX *sg_tls_ctx(const char *ca_file);

/*
 * sg_dial over TLS: connects to host:port, runs the TLS handshake with
 * server_name (NULL: host) sent and verified against the certificate,
 * presents token and reads the status. Returns the connection (a
 * blocking socket, SSL_get_fd; SSL_read/SSL_write from the backend's
 * first byte on), or NULL with *status as sg_dial's: the gateway's
 * code, or 0 with errno (ETIMEDOUT; EPROTO: the handshake failed, the
 * certificate or its name did not verify, or a malformed status).
 */
SSL *sg_dial_tls(SSL_CTX *ctx, const char *host, const char *port,
		 const char *server_name, const char *token, int timeout_ms,
		 int *status);
/* Closes what sg_dial_tls returned: close_notify, the socket, the SSL. */
void sg_tls_close(SSL *ssl);

#endif
