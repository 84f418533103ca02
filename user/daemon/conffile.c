// SPDX-License-Identifier: MIT
/* --config PATH: see daemon/conffile.h. */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "auth/allow.h"
#include "auth/secret.h"
#include "core/lines.h"
#include "core/log.h"
#include "core/opt.h"
#include "daemon/conf.h"
#include "daemon/conffile.h"

static const char *const repeatable[] = { "allow", "ws-origin", "secret",
					  NULL };

struct file_ctx {
	struct conf *c;
	const struct opt *opts;
	char *const *cli;
	const struct opt *seen[64]; /* keys given once already */
	size_t nseen;
	int secret;    /* a secret is in the file */
	char msg[320]; /* the line's error */
};

static int in(const char *const *list, const char *name)
{
	for (; *list; list++)
		if (!strcmp(*list, name))
			return 1;
	return 0;
}

/* Is --name (or -name, --name=...) on the command line? */
static int on_cli(char *const *cli, const char *name)
{
	size_t len = strlen(name);

	for (; cli && *cli; cli++) {
		const char *a = *cli;

		if (a[0] != '-')
			continue;
		a += 1 + (a[1] == '-');
		if (!strncmp(a, name, len) && (a[len] == '\0' || a[len] == '='))
			return 1;
	}
	return 0;
}

/* c keeps s until conf_free: its strings outlive a reload's file. On
 * failure s is left alone (the conf may point at it already). */
static int own(struct conf *c, char *s)
{
	char **v = realloc(c->owned, (c->nowned + 1) * sizeof(*v));

	if (!v)
		return -1;
	v[c->nowned++] = s;
	c->owned = v;
	return 0;
}

static int apply_line(void *arg, const char *entry, const char **what)
{
	struct file_ctx *x = arg;
	size_t klen = strcspn(entry, " \t");
	const char *v = entry + klen;
	const struct opt *o;
	char key[64], why[240], *val;

	*what = x->msg;
	v += strspn(v, " \t");
	if (klen >= sizeof(key)) {
		snprintf(x->msg, sizeof(x->msg), "unknown key");
		return -1;
	}
	memcpy(key, entry, klen);
	key[klen] = '\0';
	o = opt_find(x->opts, key);
	if (!o || !strcmp(key, "config") || !strcmp(key, "help") ||
	    !strcmp(key, "version")) {
		snprintf(x->msg, sizeof(x->msg), "unknown key %s", key);
		return -1;
	}
	if (!strcmp(key, "secret"))
		x->secret = 1;
	if (!in(repeatable, key)) {
		for (size_t i = 0; i < x->nseen; i++)
			if (x->seen[i] == o) {
				snprintf(x->msg, sizeof(x->msg),
					 "%s given twice", key);
				return -1;
			}
		if (x->nseen < sizeof(x->seen) / sizeof(x->seen[0]))
			x->seen[x->nseen++] = o;
	}
	if (on_cli(x->cli, key))
		return 0; /* the command line's wins */
	/* the conf keeps pointers into it for the process's life; "" is
	 * an empty value (pidfile "": none) */
	val = !strcmp(v, "\"\"") ? strdup("") : *v ? strdup(v) : NULL;
	if (*v && !val) {
		snprintf(x->msg, sizeof(x->msg), "out of memory");
		return -1;
	}
	if (opt_set(o, x->c, val, why, sizeof(why)) < 0) {
		snprintf(x->msg, sizeof(x->msg), "%s: %s", key, why);
		free(val);
		return !strcmp(key, "secret") ? -2 : -1;
	}
	if (!strcmp(key, "secret"))
		x->c->secret_on_cmdline = 0; /* a file, not argv */
	/* the conf may point at the value (a string, --pprof's, an
	 * origin): it stays, owned by the conf; a secret was copied, and
	 * wiped */
	if (val && strcmp(key, "secret") != 0) {
		if (own(x->c, val) < 0) {
			snprintf(x->msg, sizeof(x->msg), "out of memory");
			return -1;
		}
	} else {
		free(val);
	}
	return 0;
}

int conf_file_apply(struct conf *c, const struct opt *opts, const char *path,
		    char *const *cli, char *why, size_t whylen)
{
	struct file_ctx x = { .c = c, .opts = opts, .cli = cli };
	const struct passwd *pw;
	struct stat st;

	if (lines_each(path, "--config", apply_line, &x, why, whylen) < 0)
		return -1;
	/* a secret in it: as private as a secret file (--user's group may
	 * read it, for a reload) */
	pw = c->user ? getpwnam(c->user) : NULL;
	if (x.secret && (stat(path, &st) < 0 ||
			 !secret_mode_ok(&st, pw ? pw->pw_gid : (gid_t)-1))) {
		snprintf(why, whylen,
			 "--config %s holds a secret and others may read it "
			 "(chmod 600, or 640 with --user's group)",
			 path);
		return -1;
	}
	return 0;
}

/* Keys a reload applies; any other that changed waits for a restart. */
static const char *const live_keys[] = {
	"secret",	  "secret-file",  "allow",	   "allow-file",
	"revoke-file",	  "revoke-live",  "log-level",	   "tls-cert",
	"tls-key",	  "token-leeway", "legacy-tokens", "max-conns",
	"max-handshakes", NULL,
};

static int str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static int secrets_eq(const struct secrets *a, const struct secrets *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].len != b->v[i].len ||
		    memcmp(a->v[i].s, b->v[i].s, a->v[i].len) != 0)
			return 0;
	return 1;
}

/* Does key hold the same value in a and b? */
static int same(const struct opt *o, const struct conf *a, const struct conf *b)
{
	const char *pa = (const char *)a + o->off,
		   *pb = (const char *)b + o->off;

	if (!strcmp(o->name, "secret"))
		return secrets_eq(&a->fixed, &b->fixed);
	if (!strcmp(o->name, "allow"))
		return a->allow_fixed.n == b->allow_fixed.n &&
		       (!a->allow_fixed.n ||
			!memcmp(a->allow_fixed.v, b->allow_fixed.v,
				a->allow_fixed.n * sizeof(*a->allow_fixed.v)));
	if (!strcmp(o->name, "addr"))
		return a->listen_len == b->listen_len &&
		       !memcmp(&a->listen, &b->listen, a->listen_len);
	if (!strcmp(o->name, "keepalive"))
		return !memcmp(&a->keepalive, &b->keepalive,
			       sizeof(a->keepalive));
	if (!strcmp(o->name, "log-level"))
		return a->log_level == b->log_level;
	if (!strcmp(o->name, "allow-plain"))
		return a->allow_plain == b->allow_plain;
	if (!strcmp(o->name, "revoke-live"))
		return a->revoke_live == b->revoke_live;
	if (!strcmp(o->name, "ws-origin")) {
		if (a->n_ws_origins != b->n_ws_origins)
			return 0;
		for (size_t i = 0; i < a->n_ws_origins; i++)
			if (strcmp(a->ws_origins[i], b->ws_origins[i]))
				return 0;
		return 1;
	}
	switch (o->kind) {
	case OPT_STR:
		return str_eq(*(const char *const *)(const void *)pa,
			      *(const char *const *)(const void *)pb);
	case OPT_INT:
	case OPT_CHOICE:
		return !memcmp(pa, pb, sizeof(int));
	case OPT_LONG:
		return !memcmp(pa, pb, sizeof(long));
	case OPT_DURATION:
		return !memcmp(pa, pb, sizeof(uint64_t));
	default:
		return 1; /* --help, --version */
	}
}

int conf_file_reload(struct conf *cur, const struct opt *opts, char *const *cli,
		     char *why, size_t whylen)
{
	struct conf fresh;
	int restart = 0;

	memset(&fresh, 0, sizeof(fresh));
	fresh.user_gid = (gid_t)-1;
	fresh.workers = cur->workers;
	fresh.user = cur->user; /* who may read a secret in it */
	opt_defaults("sockgate", opts, &fresh);
	fresh.user = NULL;
	if (conf_file_apply(&fresh, opts, cur->config, cli, why, whylen) < 0) {
		secrets_free(&fresh.fixed);
		allow_free(&fresh.allow_fixed);
		free(fresh.ws_origins);
		for (size_t i = 0; i < fresh.nowned; i++)
			free(fresh.owned[i]);
		free(fresh.owned);
		return -1;
	}
	for (const struct opt *o = opts; o->name; o++) {
		if (on_cli(cli, o->name) || !strcmp(o->name, "config") ||
		    same(o, cur, &fresh))
			continue;
		if (!in(live_keys, o->name)) {
			log_warn("reload: %s changed in --config %s: it takes "
				 "effect at the next restart",
				 o->name, cur->config);
			restart++;
			continue;
		}
		log_info("reload: %s from --config %s", o->name, cur->config);
	}
	/* the live ones: the sources the reload then loads from, and the
	 * values the workers read (under the keys' lock, by the caller) */
	if (!on_cli(cli, "secret")) {
		struct secrets old = cur->fixed;

		cur->fixed = fresh.fixed;
		fresh.fixed = old;
	}
	if (!on_cli(cli, "allow")) {
		struct allow old = cur->allow_fixed;

		cur->allow_fixed = fresh.allow_fixed;
		fresh.allow_fixed = old;
	}
#define TAKE(key, field)       \
	if (!on_cli(cli, key)) \
		cur->field = fresh.field;
	TAKE("secret-file", secret_file)
	TAKE("allow-file", allow_file)
	TAKE("revoke-file", revoke_file)
	TAKE("revoke-live", revoke_live)
	TAKE("log-level", log_level)
	TAKE("tls-cert", tls_cert)
	TAKE("tls-key", tls_key)
	TAKE("token-leeway", leeway_ns)
	TAKE("legacy-tokens", legacy_tokens)
	TAKE("max-conns", max_conns)
	TAKE("max-handshakes", max_handshakes)
#undef TAKE
	secrets_free(&fresh.fixed);
	allow_free(&fresh.allow_fixed);
	free(fresh.ws_origins);
	/* cur may point at fresh's strings now: cur owns them (a reload
	 * adds the file's few strings; conf_free frees them all) */
	for (size_t i = 0; i < fresh.nowned; i++)
		if (own(cur, fresh.owned[i]) < 0)
			break; /* out of memory: the rest stay allocated */
	free(fresh.owned);
	if (restart)
		log_warn("reload: %d key%s of --config wait for a restart",
			 restart, restart == 1 ? "" : "s");
	return 0;
}
