// SPDX-License-Identifier: MIT
/*
 * The daemon's flags, from one table (core/opt.h): the usage text, the
 * parsing and the defaults come from it. Checks across flags follow it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/token_legacy.h"
#include "core/addr.h"
#include "core/opt.h"
#include "daemon/conf.h"
#include "daemon/conffile.h"
#include "daemon/reload.h"
#include "sockgate.h"

static void bad(const char *flag, const char *val, const char *why)
{
	fprintf(stderr, "sockgate: --%s '%s': %s\n", flag, val, why);
	exit(2);
}

/* Hides a secret given in argv from later readers of /proc/PID/cmdline. */
static void scrub(char *s)
{
	volatile char *p = s;

	while (*p)
		*p++ = 'x';
}

static int parse_keepalive(const char *s, struct keepalive *k)
{
	long v[3] = { 0, 10, 6 };
	int n = 0;
	const char *p = s;

	for (;;) {
		char *end;

		errno = 0;
		v[n] = strtol(p, &end, 10);
		if (end == p || errno || v[n] < 0 || v[n] > 86400 * 7)
			return -1;
		n++;
		if (*end == '\0')
			break;
		if (*end != ',' || n == 3)
			return -1;
		p = end + 1;
	}
	if (v[0] > 0 && (n == 2 || v[1] == 0 || v[2] == 0 || v[2] > 127))
		return -1; /* all three, each at least 1 (the kernel's limits) */
	k->idle = (int)v[0];
	k->interval = (int)v[1];
	k->count = (int)v[2];
	return 0;
}

#define CONF(v) ((struct conf *)(v))

static int set_secret(void *v, char *val, char *why, size_t len)
{
	if (secrets_add(&CONF(v)->fixed, val, strlen(val)) < 0) {
		snprintf(why, len, "must not be empty");
		return -1;
	}
	scrub(val);
	CONF(v)->secret_on_cmdline = 1;
	return 0;
}

static int set_listen(void *v, char *val, char *why, size_t len)
{
	struct conf *c = v;

	if (sg_addr_parse(val, &c->listen, &c->listen_len) < 0) {
		snprintf(why, len,
			 "not HOST:PORT (a numeric address or a name, [v6], "
			 "a port from 0 to 65535)");
		return -1;
	}
	c->addr = val;
	return 0;
}

static int set_pprof(void *v, char *val, char *why, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	if (*val && sg_addr_parse(val, &ss, &sl) < 0) {
		snprintf(why, len, "not HOST:PORT (a port from 0 to 65535)");
		return -1;
	}
	CONF(v)->pprof = *val ? val : NULL;
	return 0;
}

static int set_allow(void *v, char *val, char *why, size_t len)
{
	struct allow_rule r;

	if (allow_parse(val, &r) < 0) {
		snprintf(why, len, "not CIDR[:PORT[-PORT]] ([v6]/N:PORT)");
		return -1;
	}
	if (allow_add(&CONF(v)->allow_fixed, &r) < 0) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	return 0;
}

static int set_ws_origin(void *v, char *val, char *why, size_t len)
{
	struct conf *c = v;
	const char **o =
		realloc(c->ws_origins, (c->n_ws_origins + 1) * sizeof(*o));

	if (!o) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	if (!*val || strchr(val, '*') != strrchr(val, '*')) {
		free(o);
		c->ws_origins = NULL;
		snprintf(why, len,
			 "an origin (https://game.example), at most "
			 "one '*'");
		return -1;
	}
	o[c->n_ws_origins++] = val;
	c->ws_origins = o;
	return 0;
}

static int set_log_level(void *v, char *val, char *why, size_t len)
{
	enum log_level l;

	if (log_parse_level(val, &l) < 0) {
		snprintf(why, len, "one of debug info warn error");
		return -1;
	}
	CONF(v)->log_level = (int)l;
	return 0;
}

static int set_keepalive(void *v, char *val, char *why, size_t len)
{
	if (parse_keepalive(val, &CONF(v)->keepalive) < 0) {
		snprintf(why, len,
			 "IDLE[,INTERVAL,COUNT] in seconds up to 604800, "
			 "COUNT 1 to 127; 0: off");
		return -1;
	}
	return 0;
}

static int set_allow_plain(void *v, char *val, char *why, size_t len)
{
	(void)val, (void)why, (void)len;
	CONF(v)->allow_plain = 1;
	return 0;
}

static int set_revoke_live(void *v, char *val, char *why, size_t len)
{
	(void)val, (void)why, (void)len;
	CONF(v)->revoke_live = 1;
	return 0;
}

static int set_version(void *v, char *val, char *why, size_t len)
{
	(void)v, (void)val, (void)why, (void)len;
	printf("sockgate %s\n", SG_VERSION);
	exit(0);
}

static int set_help(void *v, char *val, char *why, size_t len)
{
	(void)v, (void)val, (void)why, (void)len;
	conf_usage(stdout);
	exit(0);
}

static const char *const proxies[] = { "off", "v1", "v2", NULL };
static const char *const on_off[] = { "off", "on", NULL };
static const char *const log_formats[] = { "text", "json", NULL };

#define F(field) offsetof(struct conf, field)
#define DAY 86400.0

const struct opt conf_opts[] = {
	{ "config", OPT_STR, F(config), "PATH", NULL, 1, 0, NULL, NULL,
	  "more flags from a file, one 'key value' a\n"
	  "line (read again on SIGHUP); flags given here\n"
	  "win" },
	{ "secret", OPT_FN, 0, "S", NULL, 0, 0, NULL, set_secret,
	  "shared secret (visible to other users; prefer:)" },
	{ "secret-file", OPT_STR, F(secret_file), "PATH", NULL, 1, 0, NULL,
	  NULL,
	  "one secret a line (all accepted: rotation)\n"
	  "(or env SOCKGATE_SECRET)" },
	{ "addr", OPT_FN, 0, "HOST:PORT", "0.0.0.0:0", 0, 0, NULL, set_listen,
	  "listen address" },
	{ "reuse", OPT_INT, F(reuse), "0|1", "0", 0, 1, NULL, NULL,
	  "SO_REUSEPORT: share the port with other gateways" },
	{ "retry", OPT_INT, F(retry), "N", "1", 1, 100, NULL, NULL,
	  "connect attempts per session" },
	{ "timeout", OPT_DURATION, F(timeout_ns), "SEC", "3", 0.001, DAY, NULL,
	  NULL, "seconds per connect attempt" },
	{ "buffer", OPT_INT, F(buffer), "BYTES", "16384", 4096, 64 << 20, NULL,
	  NULL, "pipe / copy buffer size" },
	{ "pprof", OPT_FN, 0, "HOST:PORT", NULL, 0, 0, NULL, set_pprof,
	  "metrics and status endpoint (\"\": off)" },
	{ "pidfile", OPT_STR, F(pidfile), "PATH", "gateway.pid", 0, 0, NULL,
	  NULL, "the pid file (\"\": none)" },
	{ "workers", OPT_INT, F(workers), "N", NULL, 1, 256, NULL, NULL,
	  "event loops (default: number of CPUs)" },
	{ "mode", OPT_CHOICE, F(mode), "M", "auto", 0, 0, fwd_mode_names, NULL,
	  "auto|sockmap|splice|copy" },
	{ "promote-after", OPT_DURATION, F(promote_ns), "SEC", "0.05", 0, DAY,
	  NULL, NULL,
	  "auto with BPF: a session starts on copy and\n"
	  "once it lasts SEC moves to sockmap (a\n"
	  "stream to splice if no read takes all its\n"
	  "socket holds); 0: sockmap from the start" },
	{ "promote-rate", OPT_LONG, F(promote_rate), "B", "6553600", 0, 1e12,
	  NULL, NULL,
	  "auto: a session moves from copy only while\n"
	  "it streams B bytes a second (4 KiB a read);\n"
	  "idle and chatty ones stay; 0: every one\n"
	  "that lasts" },
	{ "max-conns", OPT_LONG, F(max_conns), "N", NULL, 0, 1e8, NULL, NULL,
	  "sessions at once (default: fd limit)" },
	{ "handshake-timeout", OPT_DURATION, F(handshake_timeout_ns), "SEC",
	  "10", 0.001, DAY, NULL, NULL, "for the token line" },
	{ "max-handshakes", OPT_LONG, F(max_handshakes), "N", "1024", 1, 1e7,
	  NULL, NULL,
	  "handshakes in progress; past it the oldest\n"
	  "gets 400" },
	{ "defer-accept", OPT_INT, F(defer_accept), "SEC", "1", 0, 3600, NULL,
	  NULL,
	  "accept a client once its first bytes are\n"
	  "there (TCP_DEFER_ACCEPT), one that stays\n"
	  "silent after about SEC; 0: at once" },
	{ "max-conns-per-ip", OPT_LONG, F(max_conns_per_ip), "N", "0", 0, 1e7,
	  NULL, NULL,
	  "connections at once from one address; more\n"
	  "are reset at once (0: no limit)" },
	{ "rate-per-ip", OPT_LONG, F(rate_per_ip), "N", "0", 0, 1e6, NULL, NULL,
	  "new connections a second from one address\n"
	  "(IPv6: a /64), a burst of N; more are reset\n"
	  "at once (0: no limit)" },
	{ "drain-timeout", OPT_DURATION, F(drain_timeout_ns), "SEC", "30", 0,
	  DAY, NULL, NULL, "how long SIGTERM waits for sessions" },
	{ "drain-spread", OPT_DURATION, F(drain_spread_ns), "SEC", "0", 0, DAY,
	  NULL, NULL,
	  "a drain ends its sessions evenly over SEC\n"
	  "(FIN), so clients reconnect gradually; 0: they\n"
	  "end as they finish" },
	{ "linger-timeout", OPT_DURATION, F(linger_ns), "SEC", "2", 0, DAY,
	  NULL, NULL,
	  "after an error reply, wait this long for the\n"
	  "client's EOF" },
	{ "keepalive", OPT_FN, 0, "I[,N,C]", "60,10,6", 0, 0, NULL,
	  set_keepalive,
	  "TCP keepalive on both sockets: first probe\n"
	  "after I s idle, then every N s, dead after C\n"
	  "unanswered (0: off)" },
	{ "user", OPT_STR, F(user), "NAME", NULL, 1, 0, NULL, NULL,
	  "run as NAME once the listeners and the BPF\n"
	  "side are set up (keeps CAP_NET_ADMIN for\n"
	  "sockmap, nothing else)" },
	{ "proxy-protocol", OPT_CHOICE, F(proxy_protocol), "off|v1|v2", "off",
	  0, 0, proxies, NULL, "the client's address to the backend" },
	{ "legacy-tokens", OPT_CHOICE, F(legacy_tokens), "on|off", "on", 0, 0,
	  on_off, NULL, "accept openssl enc tokens too" },
	{ "token-leeway", OPT_DURATION, F(leeway_ns), "SEC", "5", 0, 3600, NULL,
	  NULL,
	  "a version 2 token is still good this long\n"
	  "after its expiry and before its not-before\n"
	  "(the issuer's clock may differ)" },
	{ "allow", OPT_FN, 0, "RULE", NULL, 0, 0, NULL, set_allow,
	  "a destination tokens may name: CIDR[:PORT[-PORT]]\n"
	  "([v6]/N:PORT); repeatable; none: any" },
	{ "allow-file", OPT_STR, F(allow_file), "PATH", NULL, 1, 0, NULL, NULL,
	  "more rules, one a line (read again on SIGHUP)" },
	{ "revoke-file", OPT_STR, F(revoke_file), "PATH", NULL, 1, 0, NULL,
	  NULL,
	  "token ids and destinations no token may\n"
	  "open (read again on SIGHUP)" },
	{ "revoke-live", OPT_NOARG, 0, NULL, NULL, 0, 0, NULL, set_revoke_live,
	  "a reload also ends live sessions that match\n"
	  "--revoke-file (RST both ways)" },
	{ "token-uses-max", OPT_LONG, F(token_uses_max), "N", "65536", 0,
	  1 << 24, NULL, NULL,
	  "use-limited tokens remembered at once (24 B\n"
	  "each, twice over); when full, new ones get 401" },
	{ "control", OPT_STR, F(control), "PATH", NULL, 1, 0, NULL, NULL,
	  "a Unix socket (mode 0600) for sockgatectl\n"
	  "--control: sessions, kill, reload" },
	{ "idle-timeout", OPT_DURATION, F(idle_ns), "SEC", "0", 0, DAY, NULL,
	  NULL, "close a session that moved no byte for SEC\n(0: never)" },
	{ "max-session-age", OPT_DURATION, F(max_age_ns), "SEC", "0", 0,
	  365 * DAY, NULL, NULL,
	  "close a session once it is SEC old, busy or\nnot (0: never)" },
	{ "dns-server", OPT_STR, F(dns_servers), "LIST", NULL, 0, 0, NULL, NULL,
	  "ip[:port],... instead of /etc/resolv.conf" },
	{ "etcd", OPT_STR, F(etcd), "URL[,URL...]", NULL, 0, 0, NULL, NULL,
	  "register in etcd (v3 JSON gateway) while up" },
	{ "advertise", OPT_STR, F(advertise), "HOST:PORT", NULL, 0, 0, NULL,
	  NULL,
	  "the address clients dial, as registered\n"
	  "(default: --addr, unless a wildcard)" },
	{ "etcd-prefix", OPT_STR, F(etcd_prefix), "P", "/sockgate/gateways/", 1,
	  0, NULL, NULL, "the registration's key prefix" },
	{ "etcd-ttl", OPT_INT, F(etcd_ttl), "SEC", "10", 1, 86400, NULL, NULL,
	  "the registration's lease" },
	{ "etcd-cacert", OPT_STR, F(etcd_cacert), "PATH", NULL, 0, 0, NULL,
	  NULL, "https: the CA of etcd's certificate" },
	{ "etcd-cert", OPT_STR, F(etcd_cert), "PATH", NULL, 0, 0, NULL, NULL,
	  "https: a client certificate for etcd, and" },
	{ "etcd-key", OPT_STR, F(etcd_key), "PATH", NULL, 0, 0, NULL, NULL,
	  "its key" },
	{ "tls-cert", OPT_STR, F(tls_cert), "PATH", NULL, 1, 0, NULL, NULL,
	  "TLS for clients: the certificate (PEM, chain\n"
	  "after it); read again on SIGHUP" },
	{ "tls-key", OPT_STR, F(tls_key), "PATH", NULL, 1, 0, NULL, NULL,
	  "its private key (PEM, mode 600)" },
	{ "allow-plain", OPT_NOARG, 0, NULL, NULL, 0, 0, NULL, set_allow_plain,
	  "with TLS: accept clients in clear too" },
	{ "ws-max-frame", OPT_LONG, F(ws_max_frame), "BYTES", "1048576", 125,
	  1 << 30, NULL, NULL,
	  "largest WebSocket frame a client may send\n"
	  "(over it: Close 1009)" },
	{ "ws-origin", OPT_FN, 0, "PATTERN", NULL, 0, 0, NULL, set_ws_origin,
	  "a page origin WebSocket clients may come\n"
	  "from (one '*' allowed); repeatable; none: any" },
	{ "bpf-pin-dir", OPT_STR, F(bpf_pin_dir), "DIR", SG_PIN_DIR, 1, 0, NULL,
	  NULL, "where the BPF maps are pinned" },
	{ "log-level", OPT_FN, 0, "L", "info", 0, 0, NULL, set_log_level,
	  "debug|info|warn|error" },
	{ "log-sessions", OPT_CHOICE, F(log_sessions), "on|off", "on", 0, 0,
	  on_off, NULL,
	  "off: no line for each session's end or\n"
	  "refusal (the metrics still count them)" },
	{ "log-format", OPT_CHOICE, F(log_format), "text|json", "text", 0, 0,
	  log_formats, NULL,
	  "json: one object a line (time, level, worker,\n"
	  "event, msg; a session's end: its fields)" },
	{ "version", OPT_NOARG, 0, NULL, NULL, 0, 0, NULL, set_version,
	  "print the version and exit" },
	{ "help", OPT_NOARG, 0, NULL, NULL, 0, 0, NULL, set_help,
	  "print this and exit" },
	OPT_END,
};

void conf_usage(FILE *f)
{
	fputs("usage: sockgate [options]\n", f);
	opt_usage(f, conf_opts);
	fputs("Single-dash forms (-secret, -addr, ...) work too.\n", f);
}

static int is_wildcard(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr ==
		       htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(
		&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

/* --etcd's URLs and the address it registers: checked before start-up. */
static void check_etcd(struct conf *c)
{
	struct token_addr a;

	if (c->advertise &&
	    (token_parse_addr(c->advertise, strlen(c->advertise), &a) < 0 ||
	     a.srv || a.port == 0))
		bad("advertise", c->advertise, "not HOST:PORT");
	if (!c->etcd)
		return;
	/* curl reads them at each connection: missing ones fail at once */
	if (c->etcd_cacert && access(c->etcd_cacert, R_OK) < 0)
		bad("etcd-cacert", c->etcd_cacert, strerror(errno));
	if (c->etcd_cert && access(c->etcd_cert, R_OK) < 0)
		bad("etcd-cert", c->etcd_cert, strerror(errno));
	if (c->etcd_key && access(c->etcd_key, R_OK) < 0)
		bad("etcd-key", c->etcd_key, strerror(errno));
	if (!c->etcd_cert != !c->etcd_key) {
		fprintf(stderr, "sockgate: --etcd-cert and --etcd-key go "
				"together\n");
		exit(2);
	}
	for (const char *p = c->etcd; *p;) {
		size_t n = strcspn(p, ",");

		if (strncmp(p, "http://", 7) && strncmp(p, "https://", 8))
			bad("etcd", c->etcd, "each URL http:// or https://");
		p += n + (p[n] == ',');
	}
	if (!c->advertise && is_wildcard(&c->listen)) {
		fprintf(stderr,
			"sockgate: --etcd registers the address clients dial: "
			"give --advertise HOST:PORT when --addr is a wildcard "
			"(%s)\n",
			c->addr);
		exit(2);
	}
}

/*
 * The test build's hooks (make's sockgate-test, -DSG_TEST_HOOKS): the
 * verdict's repeat check exercised on demand. The installed binary reads
 * no such variable.
 */
static void test_hooks(struct conf *c)
{
#ifdef SG_TEST_HOOKS
	const char *rep = getenv("SOCKGATE_TEST_REPEAT");
	const char *rep_ep = getenv("SOCKGATE_TEST_REPEAT_EPISODE");

	if (rep) {
		c->test_repeat = (uint32_t)strtoul(rep, NULL, 10);
		log_warn(
			"test hook SOCKGATE_TEST_REPEAT=%u: the first %u bytes "
			"of each client stream are dropped as repeats",
			c->test_repeat, c->test_repeat);
	}
	if (rep_ep) {
		c->test_repeat_episode = (uint32_t)strtoul(rep_ep, NULL, 10);
		log_warn("test hook SOCKGATE_TEST_REPEAT_EPISODE=%u: in a "
			 "client's first congestion episode %u bytes are "
			 "dropped as repeats",
			 c->test_repeat_episode, c->test_repeat_episode);
	}
#else
	(void)c;
#endif
}

/* --config's value on the command line, or NULL. */
static const char *config_arg(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i] + (argv[i][0] == '-') +
				(argv[i][0] == '-' && argv[i][1] == '-');

		if (a == argv[i])
			continue;
		if (!strncmp(a, "config=", 7))
			return a + 7;
		if (!strcmp(a, "config") && i + 1 < argc)
			return argv[i + 1];
	}
	return NULL;
}

void conf_parse(struct conf *c, int argc, char **argv)
{
	char why[320];
	int argi = 1;

	memset(c, 0, sizeof(*c));
	c->user_gid = (gid_t)-1;
	c->workers = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (c->workers < 1)
		c->workers = 1;
	opt_defaults("sockgate", conf_opts, c);
	/* --config first, then the command line over it */
	c->config = config_arg(argc, argv);
	if (c->config && conf_file_apply(c, conf_opts, c->config, argv + 1, why,
					 sizeof(why)) < 0) {
		fprintf(stderr, "sockgate: %s\n", why);
		exit(2);
	}
	opt_parse_args("sockgate", conf_opts, c, argc, argv, &argi);
	if (argi < argc) {
		fprintf(stderr,
			"sockgate: unexpected argument '%s' (--help lists the "
			"flags)\n",
			argv[argi]);
		exit(2);
	}
	log_min_level = (enum log_level)c->log_level;
	log_json = c->log_format;
	log_detect_journal();
	if (c->fixed.n == 0 && !c->secret_file) {
		char *env = getenv("SOCKGATE_SECRET");

		if (env && *env) {
			secrets_add(&c->fixed, env, strlen(env));
			/* gone from the environment and from the copy
			 * /proc/PID/environ shows */
			scrub(env);
			unsetenv("SOCKGATE_SECRET");
		}
	}
	if (c->user) {
		const struct passwd *pw = getpwnam(c->user);

		if (!pw)
			bad("user", c->user, "no such user");
		c->user_gid = pw->pw_gid;
	}
	if (conf_load_secrets(c, &c->secrets, why, sizeof(why)) < 0)
		fatal("%s", why);
	if (conf_load_allow(c, &c->allow, why, sizeof(why)) < 0)
		fatal("%s", why);
	if (c->revoke_file &&
	    revoke_load(&c->revoke, c->revoke_file, why, sizeof(why)) < 0)
		fatal("%s", why);
	if (c->revoke_live && !c->revoke_file) {
		fprintf(stderr,
			"sockgate: --revoke-live needs --revoke-file\n");
		exit(2);
	}
	if (c->secrets.n == 0) {
		fprintf(stderr, "sockgate: a secret is required: --secret-file "
				"PATH, env SOCKGATE_SECRET, or --secret\n");
		exit(2);
	}
	test_hooks(c);
	if (c->secret_on_cmdline)
		log_warn("the secret was given on the command line, where "
			 "other users can read it; use --secret-file or "
			 "SOCKGATE_SECRET");
	check_etcd(c);
	if (!c->tls_cert != !c->tls_key) {
		fprintf(stderr, "sockgate: --tls-cert and --tls-key go "
				"together\n");
		exit(2);
	}
	if (c->allow_plain && !c->tls_cert) {
		fprintf(stderr, "sockgate: --allow-plain needs --tls-cert and "
				"--tls-key\n");
		exit(2);
	}
}

void conf_free(struct conf *c)
{
	secrets_free(&c->secrets);
	secrets_free(&c->fixed);
	allow_free(&c->allow);
	allow_free(&c->allow_fixed);
	revoke_free(&c->revoke);
	free(c->ws_origins);
	for (size_t i = 0; i < c->nowned; i++)
		free(c->owned[i]);
	free(c->owned);
}
