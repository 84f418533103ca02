// SPDX-License-Identifier: MIT
/*
 * sockgatectl: the operator's tool.
 *   encrypt ADDR         make a token (openssl enc -aes-256-cbc -a -A -salt)
 *   decrypt TOKEN        print what a token holds
 *   connect GW TOKEN     handshake through a gateway, then relay stdin/stdout
 *   sessions             the live sessions (BPF maps, or --pprof's JSON)
 *   gateways             the gateways registered in etcd (sockgatectl/gateways.c)
 *   with --control PATH: sessions, kill, reload (sockgatectl/control.c)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <curl/curl.h>

#include "core/opt.h"
#include "sockgate.h"
#include "sockgatectl/cmds.h"
#include "sockgatectl/gateways.h"
#include "auth/claims.h"
#include "auth/token_v2.h"

static const char usage_text[] =
	"usage: sockgatectl [--secret S | --secret-file PATH]\n"
	"                   encrypt [--ttl TIME] [--bind-client CIDR]\n"
	"                   [--not-before TIME] [--uses N] HOST:PORT\n"
	"       sockgatectl [--secret S | --secret-file PATH] [--md md5|sha256]\n"
	"                   encrypt --legacy HOST:PORT | decrypt TOKEN\n"
	"       sockgatectl connect GATEWAY_HOST:PORT TOKEN\n"
	"       sockgatectl [--pprof HOST:PORT | --bpf-pin-dir DIR] sessions\n"
	"       sockgatectl --control PATH sessions | reload |\n"
	"                   kill ID | kill --client CIDR | kill --backend DEST\n"
	"       sockgatectl --etcd URL[,URL...] [--etcd-prefix P] [--json]\n"
	"                   [--etcd-cacert F] [--etcd-cert F --etcd-key F] gateways\n"
	"The secret may also come from env SOCKGATE_SECRET. encrypt makes an\n"
	"authenticated token (version 2, AES-256-GCM; --ttl: it expires);\n"
	"--legacy (or --md) makes the openssl enc form, sha256 unless --md\n"
	"md5. decrypt reads both; legacy ones with md5 then sha256, and\n"
	"prints the token's id and claims on stderr.\n"
	"Flags:\n";

static int usage(void)
{
	fputs(usage_text, stderr);
	return 2;
}

struct ctl {
	struct secrets sec;
	const char *file, *pin_dir, *pprof, *etcd, *prefix;
	const char *tls[3]; /* --etcd-cacert, --etcd-cert, --etcd-key */
	int md;		    /* enum token_md */
	int legacy, json;
	long ttl;		    /* seconds; 0: none */
	struct token_claims claims; /* encrypt's */
	const char *control, *kill_client, *kill_backend;
};

#define CTL(v) ((struct ctl *)(v))

static int set_secret(void *v, char *val, char *why, size_t len)
{
	if (secrets_add(&CTL(v)->sec, val, strlen(val)) == 0)
		return 0;
	snprintf(why, len, "must not be empty");
	return -1;
}

static int set_md(void *v, char *val, char *why, size_t len)
{
	if (!strcmp(val, "md5"))
		CTL(v)->md = TOKEN_MD_MD5;
	else if (!strcmp(val, "sha256"))
		CTL(v)->md = TOKEN_MD_SHA256;
	else {
		snprintf(why, len, "one of md5 sha256");
		return -1;
	}
	CTL(v)->legacy = 1; /* a digest is the legacy form's */
	return 0;
}

static int set_flag(void *v, size_t off)
{
	*(int *)(void *)((char *)v + off) = 1;
	return 0;
}

static int set_legacy(void *v, char *val, char *why, size_t len)
{
	(void)val, (void)why, (void)len;
	return set_flag(v, offsetof(struct ctl, legacy));
}

static int set_json(void *v, char *val, char *why, size_t len)
{
	(void)val, (void)why, (void)len;
	return set_flag(v, offsetof(struct ctl, json));
}

/* Seconds, or a number with s, m, h or d; 1 s to 10 years. 0 or -1. */
static int duration(const char *val, long *out, char *why, size_t len)
{
	static const char units[] = "smhd";
	static const long mult[] = { 1, 60, 3600, 86400 };
	char *end;
	long n;

	errno = 0;
	n = strtol(val, &end, 10);
	if (end != val && !errno && n > 0) {
		const char *u = *end ? strchr(units, *end) : units;

		if (u && *u && (!*end || !end[1]) &&
		    n <= 10L * 365 * 86400 / mult[u - units]) {
			*out = n * mult[u - units];
			return 0;
		}
	}
	snprintf(why, len,
		 "seconds from 1 to 315360000, or a number with s, m, h or "
		 "d (90s, 15m, 1h, 7d)");
	return -1;
}

/* --ttl: a duration. */
static int set_ttl(void *v, char *val, char *why, size_t len)
{
	return duration(val, &CTL(v)->ttl, why, len);
}

/* --not-before: Unix seconds, or +DURATION from now. */
static int set_not_before(void *v, char *val, char *why, size_t len)
{
	struct token_claims *c = &CTL(v)->claims;
	char *end;
	long d;

	if (val[0] == '+') {
		if (duration(val + 1, &d, why, len) < 0)
			return -1;
		c->not_before = (uint64_t)time(NULL) + (uint64_t)d;
	} else {
		errno = 0;
		c->not_before = strtoull(val, &end, 10);
		if (end == val || *end || errno || val[0] == '-') {
			snprintf(why, len, "Unix seconds, or +TIME (+90s)");
			return -1;
		}
	}
	c->has_not_before = 1;
	return 0;
}

static int set_bind_client(void *v, char *val, char *why, size_t len)
{
	struct token_claims *c = &CTL(v)->claims;

	if (claims_client_parse(val, &c->client) < 0) {
		snprintf(why, len, "an address or CIDR (127.0.0.1/32, ::1)");
		return -1;
	}
	c->has_client = 1;
	return 0;
}

static int set_uses(void *v, char *val, char *why, size_t len)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(val, &end, 10);
	if (end == val || *end || errno || n == 0 || n > UINT32_MAX ||
	    val[0] == '-') {
		snprintf(why, len, "a count from 1 to 4294967295");
		return -1;
	}
	CTL(v)->claims.uses = (uint32_t)n;
	return 0;
}

static int set_version(void *v, char *val, char *why, size_t len)
{
	(void)v, (void)val, (void)why, (void)len;
	printf("sockgatectl %s\n", SG_VERSION);
	exit(0);
}

static int set_help(void *v, char *val, char *why, size_t len);

#define F(field) offsetof(struct ctl, field)

static const struct opt ctl_opts[] = {
	{ "secret", OPT_FN, 0, "S", NULL, 0, 0, NULL, set_secret,
	  "the shared secret (or env SOCKGATE_SECRET)" },
	{ "secret-file", OPT_STR, F(file), "PATH", NULL, 1, 0, NULL, NULL,
	  "the secrets, one a line: the first encrypts" },
	{ "ttl", OPT_FN, 0, "TIME", NULL, 0, 0, NULL, set_ttl,
	  "encrypt: the token expires (90s, 15m, 1h, 7d)" },
	{ "bind-client", OPT_FN, 0, "CIDR", NULL, 0, 0, NULL, set_bind_client,
	  "encrypt: the token is good from these\n"
	  "client addresses only" },
	{ "not-before", OPT_FN, 0, "TIME", NULL, 0, 0, NULL, set_not_before,
	  "encrypt: not good before TIME (Unix seconds,\n"
	  "or +90s, +15m from now)" },
	{ "uses", OPT_FN, 0, "N", NULL, 0, 0, NULL, set_uses,
	  "encrypt: good for N connections per gateway\n"
	  "(needs --ttl)" },
	{ "control", OPT_STR, F(control), "PATH", NULL, 1, 0, NULL, NULL,
	  "sessions, kill, reload: the gateway's --control\n"
	  "socket" },
	{ "client", OPT_STR, F(kill_client), "CIDR", NULL, 1, 0, NULL, NULL,
	  "kill: the sessions from these addresses" },
	{ "backend", OPT_STR, F(kill_backend), "DEST", NULL, 1, 0, NULL, NULL,
	  "kill: the sessions to HOST:PORT or CIDR[:PORT]" },
	{ "legacy", OPT_NOARG, 0, NULL, NULL, 0, 0, NULL, set_legacy,
	  "encrypt: the openssl enc form" },
	{ "md", OPT_FN, 0, "md5|sha256", NULL, 0, 0, NULL, set_md,
	  "the legacy form's digest (implies --legacy)" },
	{ "pprof", OPT_STR, F(pprof), "HOST:PORT", NULL, 1, 0, NULL, NULL,
	  "sessions: ask this gateway's endpoint" },
	{ "bpf-pin-dir", OPT_STR, F(pin_dir), "DIR", SG_PIN_DIR, 1, 0, NULL,
	  NULL, "sessions: read the pinned maps under DIR" },
	{ "etcd", OPT_STR, F(etcd), "URL[,URL...]", NULL, 1, 0, NULL, NULL,
	  "gateways: the etcd cluster" },
	{ "etcd-prefix", OPT_STR, F(prefix), "P", "/sockgate/gateways/", 1, 0,
	  NULL, NULL, "gateways: the registration's key prefix" },
	{ "etcd-cacert", OPT_STR, F(tls[0]), "PATH", NULL, 1, 0, NULL, NULL,
	  "https: the CA of etcd's certificate" },
	{ "etcd-cert", OPT_STR, F(tls[1]), "PATH", NULL, 1, 0, NULL, NULL,
	  "https: a client certificate, and" },
	{ "etcd-key", OPT_STR, F(tls[2]), "PATH", NULL, 1, 0, NULL, NULL,
	  "its key" },
	{ "json", OPT_NOARG, 0, NULL, NULL, 0, 0, NULL, set_json,
	  "gateways: JSON, one object a line; sessions\n"
	  "with --control: the gateway's JSON" },
	{ "version", OPT_NOARG, 0, NULL, NULL, 0, 0, NULL, set_version,
	  "print the version and exit" },
	{ "help", OPT_NOARG, 0, NULL, NULL, 0, 0, NULL, set_help,
	  "print this and exit" },
	OPT_END,
};

static int set_help(void *v, char *val, char *why, size_t len)
{
	(void)v, (void)val, (void)why, (void)len;
	fputs(usage_text, stdout);
	opt_usage(stdout, ctl_opts);
	exit(0);
}

/* A command's words, with the flags anywhere among them. */
static int words_of(struct ctl *c, int argc, char **argv, char **w, int max)
{
	int n = 0, i = 1;

	opt_defaults("sockgatectl", ctl_opts, c);
	for (;;) {
		opt_parse_args("sockgatectl", ctl_opts, c, argc, argv, &i);
		if (i >= argc)
			return n;
		if (n == max) {
			fprintf(stderr,
				"sockgatectl: unexpected argument '%s' (--help "
				"shows the commands)\n",
				argv[i]);
			exit(2);
		}
		w[n++] = argv[i++];
	}
}

/* The command the words name; its exit status. */
static int run(struct ctl *c, int n, char **w)
{
	const char *env;
	struct stat st;
	int ret;

	if (c->control)
		return cmd_control(c->control, n, w, c->kill_client,
				   c->kill_backend, c->json);
	if (n == 1 && !strcmp(w[0], "sessions"))
		return c->pprof ? cmd_sessions_http(c->pprof) :
				  cmd_sessions(c->pin_dir);
	if (n == 1 && !strcmp(w[0], "gateways")) {
		if (!c->etcd) {
			fprintf(stderr, "sockgatectl: gateways needs --etcd "
					"URL[,URL...]\n");
			return 2;
		}
		curl_global_init(CURL_GLOBAL_DEFAULT);
		ret = cmd_gateways(c->etcd, c->prefix, c->json, c->tls);
		curl_global_cleanup();
		return ret;
	}
	if (n == 3 && !strcmp(w[0], "connect"))
		return cmd_connect(w[1], w[2]);
	if (n != 2 ||
	    (strcmp(w[0], "encrypt") != 0 && strcmp(w[0], "decrypt") != 0))
		return usage();
	if (c->legacy && (c->ttl || claims_any(&c->claims))) {
		fprintf(stderr, "sockgatectl: --ttl and the claims make a "
				"version 2 token: not with --legacy or --md\n");
		return 2;
	}
	if (c->claims.uses && !c->ttl) {
		fprintf(stderr, "sockgatectl: --uses needs --ttl: a gateway "
				"remembers a used token until it expires\n");
		return 2;
	}
	/* the service's file is group-readable by its user's group (root's,
	 * group sockgate, 0640): that group may read it here too; others
	 * never */
	if (c->file &&
	    (stat(c->file, &st) < 0 ||
	     secrets_load_file(&c->sec, c->file, st.st_gid, NULL) < 0)) {
		fprintf(stderr, "sockgatectl: %s: %s%s\n", c->file,
			strerror(errno),
			errno == EPERM ? " (others may read it: chmod o-rwx)" :
					 "");
		return 1;
	}
	env = getenv("SOCKGATE_SECRET");
	if (c->sec.n == 0 && env && *env)
		secrets_add(&c->sec, env, strlen(env));
	if (c->sec.n == 0) {
		fprintf(stderr, "sockgatectl: a secret is required: "
				"--secret-file PATH, env SOCKGATE_SECRET or "
				"--secret\n");
		return 2;
	}
	/* with a rotation file, the first line is the current secret */
	if (!strcmp(w[0], "encrypt"))
		return cmd_encrypt(&c->sec.v[0], (enum token_md)c->md,
				   c->legacy, c->ttl, &c->claims, w[1]);
	return cmd_decrypt(&c->sec.v[0], (enum token_md)c->md, w[1]);
}

int main(int argc, char **argv)
{
	struct ctl c = { .md = TOKEN_MD_AUTO };
	char *w[3];
	int n = words_of(&c, argc, argv, w, 3), ret;

	ret = run(&c, n, w);
	secrets_free(&c.sec);
	return ret;
}
