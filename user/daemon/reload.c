// SPDX-License-Identifier: MIT
/* What a (re)load reads: the secrets and the destination rules. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/reload.h"
#include "edge/tls.h"

int conf_load_secrets(const struct conf *c, struct secrets *out, char *why,
		      size_t whylen)
{
	unsigned line = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < c->fixed.n; i++)
		if (secrets_add(out, c->fixed.v[i].s, c->fixed.v[i].len) < 0)
			goto fail;
	if (!c->secret_file)
		return 0;
	if (secrets_load_file(out, c->secret_file, c->user_gid, &line) < 0) {
		if (errno == EPERM)
			snprintf(why, whylen,
				 "--secret-file %s is open to others, or to a "
				 "group other than --user's: chmod 600 it (or "
				 "640 with --user's group)",
				 c->secret_file);
		else if (errno == EFBIG)
			snprintf(why, whylen,
				 "--secret-file %s, line %u: longer than %d "
				 "bytes",
				 c->secret_file, line, SECRET_LINE_MAX);
		else
			snprintf(why, whylen,
				 "cannot read --secret-file %s: %s",
				 c->secret_file, strerror(errno));
		secrets_free(out);
		return -1;
	}
	if (out->n == c->fixed.n) {
		snprintf(why, whylen, "--secret-file %s holds no secret",
			 c->secret_file);
		secrets_free(out);
		return -1;
	}
	return 0;
fail:
	snprintf(why, whylen, "%s", strerror(errno));
	secrets_free(out);
	return -1;
}

int conf_load_allow(const struct conf *c, struct allow *out, char *why,
		    size_t whylen)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < c->allow_fixed.n; i++)
		if (allow_add(out, &c->allow_fixed.v[i]) < 0) {
			snprintf(why, whylen, "out of memory");
			allow_free(out);
			return -1;
		}
	if (c->allow_file &&
	    allow_load_file(out, c->allow_file, why, whylen) < 0) {
		allow_free(out);
		return -1;
	}
	return 0;
}

SSL_CTX *conf_load_tls(const struct conf *c, char *why, size_t whylen,
		       char *warn, size_t warnlen)
{
	why[0] = '\0';
	if (!c->tls_cert)
		return NULL;
	return tls_ctx_load(c->tls_cert, c->tls_key, c->user_gid, why, whylen,
			    warn, warnlen);
}
