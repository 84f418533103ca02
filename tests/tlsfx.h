/* SPDX-License-Identifier: MIT */
#ifndef SG_TEST_TLSFX_H
#define SG_TEST_TLSFX_H

#include <openssl/ssl.h>

#include "conn.h"
#include "fixture.h"

/* The test certificates (tests/certs.sh) in a directory of the test's. */
struct certs {
	char dir[96];
	char ca[128], ec[128], ec_key[128], rsa[128], rsa_key[128];
	char renewed[128], renewed_key[128], expired[128], other_key[128];
};

/* Makes them; asserts it worked. */
void certs_make(struct certs *c);
void certs_drop(struct certs *c);
/* A TLS client through f's gateway to the echo backend, its status
 * asserted 200 (ctx trusts the test CA). */
void tls_dial_echo(struct fx *f, SSL_CTX *ctx, struct cconn *c);
/* Sends msg through c and asserts the echo brings it back whole. */
void cc_round_trip(struct cconn *c, const char *msg);
/* The subject CN of the certificate c's server presented. */
void tls_peer_cn(const struct cconn *c, char *out, size_t len);

#endif
