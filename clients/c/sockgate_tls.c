// SPDX-License-Identifier: MIT
/* The client over TLS: see sockgate_tls.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "sockgate_client.h"
#include "sockgate_tls.h"

SSL_CTX *sg_tls_ctx(const char *ca_file)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_set_default_verify_paths(ctx) != 1 ||
	    (ca_file &&
	     SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* Waits for what libssl's result r asks; 0, or -1 with errno. */
static int wait_for(SSL *ssl, int r, int timeout_ms)
{
	int e = SSL_get_error(ssl, r);
	struct pollfd p = { .fd = SSL_get_fd(ssl) };
	int n;

	if (e == SSL_ERROR_WANT_READ)
		p.events = POLLIN;
	else if (e == SSL_ERROR_WANT_WRITE)
		p.events = POLLOUT;
	else {
		ERR_clear_error();
		errno = EPROTO;
		return -1;
	}
	n = poll(&p, 1, timeout_ms > 0 ? timeout_ms : -1);
	if (n == 0)
		errno = ETIMEDOUT;
	return n > 0 ? 0 : -1;
}

static SSL *fail(SSL *ssl, int *status, int code, int err)
{
	int fd = SSL_get_fd(ssl);

	*status = code;
	SSL_free(ssl);
	if (fd >= 0)
		close(fd);
	errno = err;
	return NULL;
}

SSL *sg_dial_tls(SSL_CTX *ctx, const char *host, const char *port,
		 const char *server_name, const char *token, int timeout_ms,
		 int *status)
{
	char line[4200], code[3];
	size_t got = 0, done;
	int fd, n, r;
	SSL *ssl;

	*status = 0;
	n = snprintf(line, sizeof(line), "%s\n", token);
	if (n < 2 || (size_t)n >= sizeof(line) || strchr(token, '\n')) {
		errno = EINVAL;
		return NULL;
	}
	fd = sg_connect(host, port, timeout_ms);
	if (fd < 0)
		return NULL;
	ssl = SSL_new(ctx);
	if (!ssl) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	if (!server_name)
		server_name = host;
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, server_name);
	/* an IP address is checked as one, a name as a name */
	if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), server_name) !=
	    1)
		SSL_set1_host(ssl, server_name);
	while ((r = SSL_connect(ssl)) != 1)
		if (wait_for(ssl, r, timeout_ms) < 0)
			return fail(ssl, status, 0, errno);
	while ((r = SSL_write_ex(ssl, line, (size_t)n, &done)) != 1)
		if (wait_for(ssl, r, timeout_ms) < 0)
			return fail(ssl, status, 0, errno);
	/* exactly three bytes: what follows is the backend's */
	while (got < 3) {
		r = SSL_read_ex(ssl, code + got, 3 - got, &done);
		if (r == 1) {
			got += done;
			continue;
		}
		if (SSL_get_error(ssl, r) == SSL_ERROR_ZERO_RETURN ||
		    wait_for(ssl, r, timeout_ms) < 0)
			return fail(ssl, status, 0,
				    errno == ETIMEDOUT ? ETIMEDOUT : EPROTO);
	}
	for (int i = 0; i < 3; i++)
		if (code[i] < '0' || code[i] > '9')
			return fail(ssl, status, 0, EPROTO);
	*status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + code[2] - '0';
	if (*status != 200)
		return fail(ssl, status, *status, ECONNREFUSED);
	/* blocking again, as sg_dial's socket */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return ssl;
}

void sg_tls_close(SSL *ssl)
{
	int fd = SSL_get_fd(ssl);

	SSL_shutdown(ssl);
	SSL_free(ssl);
	if (fd >= 0)
		close(fd);
}
