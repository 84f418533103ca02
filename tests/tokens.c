// SPDX-License-Identifier: MIT
/* Tokens, made and opened by the openssl CLI: a real peer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gwproc.h"
#include "tokens.h"

/*
 * Runs `printf FMT "$SG_IN" | openssl enc OP -aes-256-cbc -a -A [-md MD]
 * -pass env:SG_PASS`: its output (malloc'd), exit status in *st. The
 * plaintext goes in without a newline ("%s"), a token with one ("%s\n").
 */
static char *openssl_enc(const char *secret, const char *in, const char *fmt,
			 const char *op, const char *md, int *st)
{
	char cmd[1024];

	setenv("SG_PASS", secret, 1);
	setenv("SG_IN", in, 1);
	snprintf(cmd, sizeof(cmd),
		 "printf '%s' \"$SG_IN\" | openssl enc %s -aes-256-cbc -a -A "
		 "%s%s -pass env:SG_PASS 2>/dev/null",
		 fmt, op, md ? "-md " : "", md ? md : "");
	return run_cmd(cmd, st);
}

char *ossl_token(const char *secret, const char *plain, const char *md)
{
	static __thread char tok[8192];
	char *out = openssl_enc(secret, plain, "%s", "-salt", md, NULL);

	snprintf(tok, sizeof(tok), "%s", out ? out : "");
	free(out);
	return tok;
}

char *ossl_decrypt(const char *secret, const char *token, const char *md)
{
	int st;
	char *out = openssl_enc(secret, token, "%s\\n", "-d", md, &st);

	if (st != 0) {
		free(out);
		return NULL;
	}
	return out;
}

const char *loop_addr(uint16_t port)
{
	static char a[32];

	snprintf(a, sizeof(a), "127.0.0.1:%u", port);
	return a;
}

char *loop_token(uint16_t port)
{
	return ossl_token(TEST_SECRET, loop_addr(port), NULL);
}
