// SPDX-License-Identifier: MIT
/* Command line and environment. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/conf.h"
#include "sockgate.h"
#include "auth/token_legacy.h"

static const char usage_text[] =
	"usage: sockgate [options]\n"
	"  --secret S              shared secret (visible to other users; prefer:)\n"
	"  --secret-file PATH      one secret a line (all accepted: rotation)\n"
	"                          (or env SOCKGATE_SECRET)\n"
	"  --addr HOST:PORT        listen address (default 0.0.0.0:0)\n"
	"  --reuse 0|1             SO_REUSEPORT: share the port with other gateways\n"
	"  --retry N               connect attempts per session (default 1)\n"
	"  --timeout SEC           seconds per connect attempt (default 3)\n"
	"  --buffer BYTES          pipe / copy buffer size (default 16384)\n"
	"  --pprof HOST:PORT       metrics and status endpoint (default off)\n"
	"  --pidfile PATH          (default gateway.pid; \"\": none)\n"
	"  --workers N             event loops (default: number of CPUs)\n"
	"  --mode M                auto|sockmap|splice|copy (default auto)\n"
	"  --promote-after SEC     auto with BPF: a session starts on copy and\n"
	"                          once it lasts SEC moves to sockmap (a\n"
	"                          stream to splice if no read takes all its\n"
	"                          socket holds) (default 0.05; 0: sockmap\n"
	"                          from the start)\n"
	"  --max-conns N           sessions at once (default: fd limit)\n"
	"  --handshake-timeout SEC (default 10)\n"
	"  --max-handshakes N      handshakes in progress; past it the oldest\n"
	"                          gets 400 (default 1024)\n"
	"  --max-conns-per-ip N    connections at once from one address; more\n"
	"                          are reset at once (default 0: no limit)\n"
	"  --drain-timeout SEC     how long SIGTERM waits for sessions (default 30)\n"
	"  --linger-timeout SEC    after an error reply, wait this long for the\n"
	"                          client's EOF (default 2)\n"
	"  --keepalive I[,N,C]     TCP keepalive on both sockets: first probe\n"
	"                          after I s idle, then every N s, dead after C\n"
	"                          unanswered (default 60,10,6; 0: off)\n"
	"  --user NAME             run as NAME once the listeners and the BPF\n"
	"                          side are set up (keeps CAP_NET_ADMIN for\n"
	"                          sockmap, nothing else)\n"
	"  --proxy-protocol off|v1|v2  the client's address to the backend\n"
	"  --legacy-tokens on|off  accept openssl enc tokens too (default on)\n"
	"  --allow RULE            a destination tokens may name: CIDR[:PORT[-PORT]]\n"
	"                          ([v6]/N:PORT); repeatable; none: any\n"
	"  --allow-file PATH       more rules, one a line (read again on SIGHUP)\n"
	"  --idle-timeout SEC      close a session that moved no byte for SEC\n"
	"                          (default 0: never)\n"
	"  --dns-server LIST       ip[:port],... instead of /etc/resolv.conf\n"
	"  --etcd URL[,URL...]     register in etcd (v3 JSON gateway) while up\n"
	"  --advertise HOST:PORT   the address clients dial, as registered\n"
	"                          (default: --addr, unless a wildcard)\n"
	"  --etcd-prefix P         (default /sockgate/gateways/)\n"
	"  --etcd-ttl SEC          the registration's lease (default 10)\n"
	"  --etcd-cacert PATH      https: the CA of etcd's certificate\n"
	"  --etcd-cert PATH        https: a client certificate for etcd, and\n"
	"  --etcd-key PATH         its key\n"
	"  --version               print the version and exit\n"
	"  --bpf-pin-dir DIR       (default " SG_PIN_DIR ")\n"
	"  --log-level L           debug|info|warn|error (default info)\n"
	"Single-dash forms (-secret, -addr, ...) work too.\n";

static void usage_exit(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

static void bad(const char *flag, const char *val)
{
	fprintf(stderr, "sockgate: invalid value for --%s: '%s'\n", flag, val);
	exit(2);
}

int conf_parse_duration(const char *s, uint64_t *ns)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !isfinite(v) || v < 0 || v > 86400.0 * 365)
		return -1;
	if (strcmp(end, "ms") == 0)
		v /= 1000;
	else if (*end && strcmp(end, "s") != 0)
		return -1;
	*ns = (uint64_t)(v * 1e9);
	return 0;
}

static long parse_long(const char *flag, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end || errno || v < min || v > max)
		bad(flag, s);
	return v;
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
		bad("advertise", c->advertise);
	if (!c->etcd)
		return;
	/* curl reads them at each connection: missing ones fail at once */
	if (c->etcd_cacert && access(c->etcd_cacert, R_OK) < 0)
		bad("etcd-cacert", c->etcd_cacert);
	if (c->etcd_cert && access(c->etcd_cert, R_OK) < 0)
		bad("etcd-cert", c->etcd_cert);
	if (c->etcd_key && access(c->etcd_key, R_OK) < 0)
		bad("etcd-key", c->etcd_key);
	if (!c->etcd_cert != !c->etcd_key) {
		fprintf(stderr, "sockgate: --etcd-cert and --etcd-key go "
				"together\n");
		exit(2);
	}
	for (const char *p = c->etcd; *p;) {
		size_t n = strcspn(p, ",");

		if (strncmp(p, "http://", 7) && strncmp(p, "https://", 8))
			bad("etcd", c->etcd);
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

/* 0 to 65535 in at most five digits: getaddrinfo would take 99999 as
 * 99999 modulo 65536, and listen on a port nobody asked for. */
static int port_ok(const char *p)
{
	size_t n = strlen(p);

	if (n == 0 || n > 5 || strspn(p, "0123456789") != n)
		return 0;
	return strtol(p, NULL, 10) <= 65535;
}

int conf_parse_sockaddr(const char *s, struct sockaddr_storage *ss,
			socklen_t *len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *ai;
	const char *colon = strrchr(s, ':');
	char host[256];
	size_t hlen;

	if (!colon || !port_ok(colon + 1))
		return -1;
	hlen = (size_t)(colon - s);
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		s++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host))
		return -1;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (hlen == 0) {
		hints.ai_family = AF_INET;
	}
	if (getaddrinfo(hlen ? host : NULL, colon + 1, &hints, &ai) != 0)
		return -1;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

const char *conf_mode_name(enum fwd_mode m)
{
	static const char *const names[] = { "auto", "sockmap", "splice",
					     "copy" };
	return names[m];
}

/* Hides a secret given in argv from later readers of /proc/PID/cmdline. */
static void scrub(char *s)
{
	volatile char *p = s;

	while (*p)
		*p++ = 'x';
}

enum {
	OPT_SECRET = 256,
	OPT_SECRET_FILE,
	OPT_ADDR,
	OPT_REUSE,
	OPT_RETRY,
	OPT_TIMEOUT,
	OPT_BUFFER,
	OPT_PPROF,
	OPT_PIDFILE,
	OPT_WORKERS,
	OPT_MODE,
	OPT_MAX_CONNS,
	OPT_HS_TIMEOUT,
	OPT_DRAIN_TIMEOUT,
	OPT_LINGER,
	OPT_DNS,
	OPT_PIN_DIR,
	OPT_LOG_LEVEL,
	OPT_PROMOTE,
	OPT_KEEPALIVE,
	OPT_IDLE,
	OPT_ALLOW,
	OPT_ALLOW_FILE,
	OPT_LEGACY,
	OPT_PROXY,
	OPT_USER,
	OPT_MAX_HS,
	OPT_MAX_PER_IP,
	OPT_ETCD,
	OPT_ADVERTISE,
	OPT_ETCD_PREFIX,
	OPT_ETCD_TTL,
	OPT_ETCD_CACERT,
	OPT_ETCD_CERT,
	OPT_ETCD_KEY,
	OPT_VERSION,
	OPT_HELP,
};

static const struct option options[] = {
	{ "secret", required_argument, NULL, OPT_SECRET },
	{ "secret-file", required_argument, NULL, OPT_SECRET_FILE },
	{ "addr", required_argument, NULL, OPT_ADDR },
	{ "reuse", required_argument, NULL, OPT_REUSE },
	{ "retry", required_argument, NULL, OPT_RETRY },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "buffer", required_argument, NULL, OPT_BUFFER },
	{ "pprof", required_argument, NULL, OPT_PPROF },
	{ "pidfile", required_argument, NULL, OPT_PIDFILE },
	{ "workers", required_argument, NULL, OPT_WORKERS },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "max-conns", required_argument, NULL, OPT_MAX_CONNS },
	{ "handshake-timeout", required_argument, NULL, OPT_HS_TIMEOUT },
	{ "drain-timeout", required_argument, NULL, OPT_DRAIN_TIMEOUT },
	{ "linger-timeout", required_argument, NULL, OPT_LINGER },
	{ "dns-server", required_argument, NULL, OPT_DNS },
	{ "bpf-pin-dir", required_argument, NULL, OPT_PIN_DIR },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "promote-after", required_argument, NULL, OPT_PROMOTE },
	{ "keepalive", required_argument, NULL, OPT_KEEPALIVE },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE },
	{ "allow", required_argument, NULL, OPT_ALLOW },
	{ "allow-file", required_argument, NULL, OPT_ALLOW_FILE },
	{ "legacy-tokens", required_argument, NULL, OPT_LEGACY },
	{ "proxy-protocol", required_argument, NULL, OPT_PROXY },
	{ "user", required_argument, NULL, OPT_USER },
	{ "max-handshakes", required_argument, NULL, OPT_MAX_HS },
	{ "max-conns-per-ip", required_argument, NULL, OPT_MAX_PER_IP },
	{ "etcd", required_argument, NULL, OPT_ETCD },
	{ "advertise", required_argument, NULL, OPT_ADVERTISE },
	{ "etcd-prefix", required_argument, NULL, OPT_ETCD_PREFIX },
	{ "etcd-ttl", required_argument, NULL, OPT_ETCD_TTL },
	{ "etcd-cacert", required_argument, NULL, OPT_ETCD_CACERT },
	{ "etcd-cert", required_argument, NULL, OPT_ETCD_CERT },
	{ "etcd-key", required_argument, NULL, OPT_ETCD_KEY },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

int conf_parse_keepalive(const char *s, struct keepalive *k)
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
		c->test_repeat = (uint32_t)parse_long("SOCKGATE_TEST_REPEAT",
						      rep, 0, 1 << 20);
		log_warn(
			"test hook SOCKGATE_TEST_REPEAT=%u: the first %u bytes "
			"of each client stream are dropped as repeats",
			c->test_repeat, c->test_repeat);
	}
	if (rep_ep) {
		c->test_repeat_episode = (uint32_t)parse_long(
			"SOCKGATE_TEST_REPEAT_EPISODE", rep_ep, 0, 1 << 20);
		log_warn("test hook SOCKGATE_TEST_REPEAT_EPISODE=%u: in a "
			 "client's first congestion episode %u bytes are "
			 "dropped as repeats",
			 c->test_repeat_episode, c->test_repeat_episode);
	}
#else
	(void)c;
#endif
}

void conf_parse(struct conf *c, int argc, char **argv)
{
	char why[320];
	int secret_on_cmdline = 0, opt;
	long n;

	memset(c, 0, sizeof(*c));
	c->addr = "0.0.0.0:0";
	c->retry = 1;
	c->timeout_ns = 3000000000ull;
	c->handshake_timeout_ns = 10000000000ull;
	c->drain_timeout_ns = 30000000000ull;
	c->linger_ns = 2000000000ull;
	c->keepalive = (struct keepalive){ 60, 10, 6 };
	c->legacy_tokens = 1;
	c->max_handshakes = 1024;
	c->buffer = 16384;
	c->promote_ns = 50000000ull;
	c->pidfile = "gateway.pid";
	c->etcd_prefix = "/sockgate/gateways/";
	c->etcd_ttl = 10;
	c->bpf_pin_dir = SG_PIN_DIR;
	c->user_gid = (gid_t)-1;
	c->workers = (int)sysconf(_SC_NPROCESSORS_ONLN);
	c->log_level = LOG_LVL_INFO;
	if (c->workers < 1)
		c->workers = 1;

	while ((opt = getopt_long_only(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case OPT_SECRET:
			if (secrets_add(&c->fixed, optarg, strlen(optarg)) < 0)
				bad("secret", "(empty)");
			scrub(optarg);
			secret_on_cmdline = 1;
			break;
		case OPT_SECRET_FILE:
			c->secret_file = optarg;
			break;
		case OPT_ADDR:
			c->addr = optarg;
			break;
		case OPT_REUSE:
			c->reuse = (int)parse_long("reuse", optarg, 0, 1);
			break;
		case OPT_RETRY:
			c->retry = (int)parse_long("retry", optarg, 1, 100);
			break;
		case OPT_TIMEOUT:
			if (conf_parse_duration(optarg, &c->timeout_ns) < 0 ||
			    c->timeout_ns == 0)
				bad("timeout", optarg);
			break;
		case OPT_BUFFER:
			c->buffer = (int)parse_long("buffer", optarg, 4096,
						    64 << 20);
			break;
		case OPT_PPROF:
			c->pprof = *optarg ? optarg : NULL;
			break;
		case OPT_PIDFILE:
			c->pidfile = *optarg ? optarg : NULL;
			break;
		case OPT_WORKERS:
			c->workers = (int)parse_long("workers", optarg, 1, 256);
			break;
		case OPT_MODE:
			for (n = 0; n < 4; n++)
				if (!strcmp(optarg,
					    conf_mode_name((enum fwd_mode)n)))
					break;
			if (n == 4)
				bad("mode", optarg);
			c->mode = (enum fwd_mode)n;
			break;
		case OPT_MAX_CONNS:
			c->max_conns =
				parse_long("max-conns", optarg, 0, 100000000);
			break;
		case OPT_HS_TIMEOUT:
			if (conf_parse_duration(optarg,
						&c->handshake_timeout_ns) < 0 ||
			    c->handshake_timeout_ns == 0)
				bad("handshake-timeout", optarg);
			break;
		case OPT_DRAIN_TIMEOUT:
			if (conf_parse_duration(optarg, &c->drain_timeout_ns) <
			    0)
				bad("drain-timeout", optarg);
			break;
		case OPT_LINGER:
			if (conf_parse_duration(optarg, &c->linger_ns) < 0)
				bad("linger-timeout", optarg);
			break;
		case OPT_PROMOTE:
			if (conf_parse_duration(optarg, &c->promote_ns) < 0)
				bad("promote-after", optarg);
			break;
		case OPT_KEEPALIVE:
			if (conf_parse_keepalive(optarg, &c->keepalive) < 0)
				bad("keepalive", optarg);
			break;
		case OPT_ALLOW: {
			struct allow_rule r;

			if (allow_parse(optarg, &r) < 0 ||
			    allow_add(&c->allow_fixed, &r) < 0)
				bad("allow", optarg);
			break;
		}
		case OPT_LEGACY:
			if (!strcmp(optarg, "on"))
				c->legacy_tokens = 1;
			else if (!strcmp(optarg, "off"))
				c->legacy_tokens = 0;
			else
				bad("legacy-tokens", optarg);
			break;
		case OPT_MAX_HS:
			c->max_handshakes = parse_long("max-handshakes", optarg,
						       1, 10000000);
			break;
		case OPT_MAX_PER_IP:
			c->max_conns_per_ip = parse_long("max-conns-per-ip",
							 optarg, 0, 10000000);
			break;
		case OPT_USER:
			c->user = optarg;
			break;
		case OPT_PROXY:
			if (!strcmp(optarg, "off"))
				c->proxy_protocol = 0;
			else if (!strcmp(optarg, "v1"))
				c->proxy_protocol = 1;
			else if (!strcmp(optarg, "v2"))
				c->proxy_protocol = 2;
			else
				bad("proxy-protocol", optarg);
			break;
		case OPT_ALLOW_FILE:
			c->allow_file = optarg;
			break;
		case OPT_IDLE:
			if (conf_parse_duration(optarg, &c->idle_ns) < 0)
				bad("idle-timeout", optarg);
			break;
		case OPT_DNS:
			c->dns_servers = optarg;
			break;
		case OPT_PIN_DIR:
			c->bpf_pin_dir = optarg;
			break;
		case OPT_LOG_LEVEL:
			if (log_parse_level(optarg, &c->log_level) < 0)
				bad("log-level", optarg);
			break;
		case OPT_ETCD:
			c->etcd = optarg;
			break;
		case OPT_ADVERTISE:
			c->advertise = optarg;
			break;
		case OPT_ETCD_PREFIX:
			if (!*optarg || strlen(optarg) > 200)
				bad("etcd-prefix", optarg);
			c->etcd_prefix = optarg;
			break;
		case OPT_ETCD_TTL:
			c->etcd_ttl =
				(int)parse_long("etcd-ttl", optarg, 1, 86400);
			break;
		case OPT_ETCD_CACERT:
			c->etcd_cacert = optarg;
			break;
		case OPT_ETCD_CERT:
			c->etcd_cert = optarg;
			break;
		case OPT_ETCD_KEY:
			c->etcd_key = optarg;
			break;
		case OPT_VERSION:
			printf("sockgate %s\n", SG_VERSION);
			exit(0);
		case OPT_HELP:
			usage_exit(0);
			break;
		default:
			usage_exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sockgate: unexpected argument '%s'\n",
			argv[optind]);
		usage_exit(2);
	}
	log_min_level = c->log_level;
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
	/* checked before anything is read, bound, loaded or pinned */
	if (conf_parse_sockaddr(c->addr, &c->listen, &c->listen_len) < 0)
		bad("addr", c->addr);
	if (c->pprof) {
		struct sockaddr_storage ss;
		socklen_t len;

		if (conf_parse_sockaddr(c->pprof, &ss, &len) < 0)
			bad("pprof", c->pprof);
	}
	if (c->user) {
		const struct passwd *pw = getpwnam(c->user);

		if (!pw)
			bad("user", c->user);
		c->user_gid = pw->pw_gid;
	}
	if (conf_load_secrets(c, &c->secrets, why, sizeof(why)) < 0)
		fatal("%s", why);
	if (conf_load_allow(c, &c->allow, why, sizeof(why)) < 0)
		fatal("%s", why);
	if (c->secrets.n == 0) {
		fprintf(stderr, "sockgate: a secret is required: --secret-file "
				"PATH, env SOCKGATE_SECRET, or --secret\n");
		exit(2);
	}
	test_hooks(c);
	if (secret_on_cmdline)
		log_warn("the secret was given on the command line, where "
			 "other users can read it; use --secret-file or "
			 "SOCKGATE_SECRET");
	check_etcd(c);
}

void conf_free(struct conf *c)
{
	secrets_free(&c->secrets);
	secrets_free(&c->fixed);
	allow_free(&c->allow);
	allow_free(&c->allow_fixed);
}
