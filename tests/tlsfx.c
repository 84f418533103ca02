// SPDX-License-Identifier: MIT
/* Certificates and TLS clients for the TLS and WebSocket tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "gwproc.h"
#include "tlsfx.h"
#include "tokens.h"

void certs_make(struct certs *c)
{
	/* in the repository (make test) or beside the binaries (vmtest) */
	char script[160], cmd[512], *out;
	int st;

	snprintf(c->dir, sizeof(c->dir), "/tmp/sgcerts.XXXXXX");
	cr_assert_not_null(mkdtemp(c->dir));
	snprintf(script, sizeof(script), "%s",
		 access("tests/certs.sh", R_OK) == 0 ? "tests/certs.sh" : "");
	if (!script[0])
		snprintf(script, sizeof(script), "%s/certs.sh", sg_build());
	snprintf(cmd, sizeof(cmd), "sh %s %s 2>&1", script, c->dir);
	out = run_cmd(cmd, &st);
	cr_assert_eq(st, 0, "tests/certs.sh: %s", out);
	free(out);
#define P(field, name) \
	snprintf(c->field, sizeof(c->field), "%s/%s", c->dir, name)
	P(ca, "ca.pem");
	P(ec, "ec.pem");
	P(ec_key, "ec.key");
	P(rsa, "rsa.pem");
	P(rsa_key, "rsa.key");
	P(renewed, "new.pem");
	P(renewed_key, "new.key");
	P(expired, "expired.pem");
	P(other_key, "other.key");
#undef P
}

void certs_drop(struct certs *c)
{
	if (c->dir[0] && !getenv("SG_KEEP"))
		rm_tree(c->dir);
}

void tls_dial_echo(struct fx *f, SSL_CTX *ctx, struct cconn *c)
{
	char err[256];
	const char *tok = loop_token(f->be->port);

	cr_assert_eq(cc_connect(c, fx_v6 ? "::1" : "127.0.0.1", f->g.port, ctx,
				"localhost", err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(cc_token(c, tok), 200, "TLS client's status");
}

void tls_peer_cn(const struct cconn *c, char *out, size_t len)
{
	X509 *x = SSL_get1_peer_certificate(c->ssl);

	out[0] = '\0';
	if (!x)
		return;
	X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, out,
				  (int)len);
	X509_free(x);
}

void cc_round_trip(struct cconn *c, const char *msg)
{
	char buf[256] = "";
	size_t n = strlen(msg);

	cr_assert_lt(n, sizeof(buf));
	cr_assert_eq(cc_send_all(c, msg, n, 10000), 0, "sending %s", msg);
	cr_assert_eq(cc_recv_full(c, buf, n, 10000), (ssize_t)n,
		     "the echo of %s", msg);
	cr_assert_str_eq(buf, msg);
}
