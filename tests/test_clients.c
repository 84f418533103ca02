// SPDX-License-Identifier: MIT
/*
 * The client libraries under clients/, against the real gateway: a
 * backend that greets the moment it accepts (the greeting must arrive
 * whole, though it may share a segment with the status), a wrong token,
 * a closed backend port, a gateway that never answers, IPv6.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../clients/c/sockgate_client.h"
#include "../clients/c/sockgate_issuer.h"
#include "../clients/c/sockgate_tls.h"
#include "peers.h"
#include "tlsfx.h"

/* a test that needs longer says so */
TestSuite(clients, .timeout = 60);

#define GREETING "220 sockgate test backend ready\r\n"
/* README "Test vectors": secret "sockgate test vector", nonce 00..0b,
 * 127.0.0.1:1; no expiry nor claims, then expiry 1767225600 with the
 * client 127.0.0.1/32, not before 1767225000 and one use */
#define README_VECTOR \
	"AgAAAAAAAAAAAAECAwQFBgcICQoLiDfXmauvsGygJXFx_lhxU2s45Gy7M6dqQfq5"
#define README_CLAIMS_VECTOR                                                   \
	"AgAAAABpVbkAAAECAwQFBgcICQoLiDfXmauvsGygJXE6KQSvcvNA-Q4jMrpv3VsfSXSl" \
	"z_SRfL1wqUjPPSyHuI54AJ-Pil8O3w"

static void greeter_conn(void *ctx, int fd)
{
	char buf[4096];
	ssize_t n;

	(void)ctx;
	write_all(fd, GREETING, strlen(GREETING));
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		write_all(fd, buf, (size_t)n);
	close(fd);
}

/* Everything the cases need: two gateways (IPv4, IPv6), a greeter, a
 * closed port, a listener that never answers, and the three tokens. */
struct env {
	struct gw g4, g6, gt; /* IPv4, IPv6, TLS */
	struct certs k;
	int gfd, silent;
	uint16_t gport, closed_port, silent_port;
	pthread_t gth;
	char good[512], bad[512], closed[512];
};

static void env_up(struct env *e)
{
	const char *v6[] = { "--addr", "[::1]:0", NULL };
	int fd;

	cr_assert_eq(server_start(&e->gfd, &e->gport, &e->gth, 0, 16,
				  greeter_conn, NULL),
		     0);
	fd = tcp_listen(0, &e->closed_port, 1);
	close(fd);
	e->silent = tcp_listen(0, &e->silent_port, 16);
	cr_assert_eq(gw_start(&e->g4, 0, NULL), 0);
	cr_assert_eq(gw_start(&e->g6, 0, v6), 0, "IPv6 gateway (log %s)",
		     e->g6.log);
	certs_make(&e->k);
	/* RSA: mono's TLS cannot decode an ECDSA key (the C#
	 * client's README says so) */
	cr_assert_eq(gw_start(&e->gt, 0,
			      (const char *[]){ "--tls-cert", e->k.rsa,
						"--tls-key", e->k.rsa_key,
						NULL }),
		     0, "TLS gateway (log %s)", e->gt.log);
	snprintf(e->good, sizeof(e->good), "%s", loop_token(e->gport));
	snprintf(e->bad, sizeof(e->bad), "%s",
		 ossl_token("another secret", loop_addr(e->gport), NULL));
	snprintf(e->closed, sizeof(e->closed), "%s",
		 loop_token(e->closed_port));
}

static void env_down(struct env *e)
{
	cr_assert_eq(gw_stop(&e->g4), 0);
	cr_assert_eq(gw_stop(&e->g6), 0);
	cr_assert_eq(gw_stop(&e->gt), 0);
	certs_drop(&e->k);
	server_stop(e->gfd, e->gth);
	close(e->silent);
}

static void greeted(int fd)
{
	char buf[64] = "";

	cr_assert_geq(fd, 0);
	cr_assert_eq(read_full(fd, buf, strlen(GREETING), 5000),
		     (ssize_t)strlen(GREETING));
	cr_assert_str_eq(buf, GREETING, "the greeting, whole");
	fx_round_trip(fd, "ping");
	close(fd);
}

Test(clients, c)
{
	struct env e;
	char port[8], v6port[8], silent[8];
	struct sg_dialer d;
	int st, fd, r;

	env_up(&e);
	snprintf(port, sizeof(port), "%u", e.g4.port);
	snprintf(v6port, sizeof(v6port), "%u", e.g6.port);
	snprintf(silent, sizeof(silent), "%u", e.silent_port);
	greeted(sg_dial("127.0.0.1", port, e.good, 5000, &st));
	cr_assert_eq(sg_dial("127.0.0.1", port, e.bad, 5000, &st), -1);
	cr_assert_eq(st, 401);
	cr_assert_eq(sg_dial("127.0.0.1", port, e.closed, 5000, &st), -1);
	cr_assert_eq(st, 502);
	errno = 0;
	cr_assert_eq(sg_dial("127.0.0.1", silent, e.good, 300, &st), -1);
	cr_assert(st == 0 && errno == ETIMEDOUT, "timed out: %d %s", st,
		  strerror(errno));
	greeted(sg_dial("::1", v6port, e.good, 5000, &st));
	/* the non-blocking form, driven by poll as an event loop would */
	r = sg_dial_start(&d, "127.0.0.1", port, e.good);
	while (r == SG_DIAL_WANT_READ || r == SG_DIAL_WANT_WRITE) {
		struct pollfd p = { .fd = d.fd,
				    .events = r == SG_DIAL_WANT_READ ?
						      POLLIN :
						      POLLOUT };

		cr_assert_eq(poll(&p, 1, 5000), 1);
		r = sg_dial_step(&d);
	}
	cr_assert_eq(r, SG_DIAL_DONE);
	fd = d.fd;
	{
		struct pollfd p = { .fd = fd, .events = POLLIN };

		cr_assert_eq(poll(&p, 1, 5000), 1);
	}
	greeted(fd);
	/* TLS: the name verified against the test CA, a wrong one refused */
	{
		SSL_CTX *ctx = sg_tls_ctx(e.k.ca);
		char tport[8], buf[64] = "";
		SSL *ssl;
		size_t n;

		snprintf(tport, sizeof(tport), "%u", e.gt.port);
		cr_assert_not_null(ctx);
		ssl = sg_dial_tls(ctx, "127.0.0.1", tport, "localhost", e.good,
				  5000, &st);
		cr_assert_not_null(ssl, "TLS dial: status %d, %s", st,
				   strerror(errno));
		cr_assert_eq(SSL_read_ex(ssl, buf, strlen(GREETING), &n), 1);
		cr_assert_str_eq(buf, GREETING, "the greeting over TLS");
		sg_tls_close(ssl);
		errno = 0;
		cr_assert_null(sg_dial_tls(ctx, "127.0.0.1", tport,
					   "wrong.example", e.good, 5000, &st));
		cr_assert(st == 0 && errno == EPROTO, "a wrong name: %d %s", st,
			  strerror(errno));
		cr_assert_null(sg_dial_tls(ctx, "127.0.0.1", tport, "localhost",
					   e.bad, 5000, &st));
		cr_assert_eq(st, 401);
		SSL_CTX_free(ctx);
	}
	env_down(&e);
}

/* The source tree's clients/ (not in the guests, which have neither the
 * tree nor the interpreters). */
static const char *clients_dir(void)
{
	static char path[512];
	char probe[600];

	snprintf(path, sizeof(path), "%s/../clients", sg_build());
	snprintf(probe, sizeof(probe), "%s/python", path);
	if (access(probe, F_OK) != 0)
		snprintf(path, sizeof(path), "%s/../../clients", sg_build());
	return path;
}

/* Runs clients/<sub>/<prog> against the environment's gateways. */
static void run_selftest(const char *sub, const char *prog)
{
	char cmd[4096], *out;
	struct env e;
	int st;

	if (sg_light())
		return;
	env_up(&e);
	snprintf(cmd, sizeof(cmd),
		 "cd %s/%s && %s 127.0.0.1 %u '%s' '%s' '%s' %u %u '%s' %u %s "
		 "2>&1",
		 clients_dir(), sub, prog, e.g4.port, e.good, e.bad, e.closed,
		 e.silent_port, e.g6.port, GREETING, e.gt.port, e.k.ca);
	out = run_cmd(cmd, &st);
	cr_log_info("%s:\n%s", sub, out);
	cr_assert_eq(st, 0, "%s: %s", sub, out);
	cr_assert(strstr(out, "ok greeting") && strstr(out, "ok 401") &&
			  strstr(out, "ok 502") && strstr(out, "ok timeout") &&
			  strstr(out, "ok ipv6") && strstr(out, "ok tls\n") &&
			  strstr(out, "ok tls verify"),
		  "%s: %s", sub, out);
	free(out);
	env_down(&e);
}

Test(clients, python)
{
	run_selftest("python", "python3 selftest.py");
}

Test(clients, node)
{
	run_selftest("node", "node selftest.js");
}

Test(clients, go, .timeout = 120)
{
	/* a module of its own, standard library only: nothing fetched */
	run_selftest("go", "GOCACHE=/tmp/sg-gocache GOFLAGS=-mod=mod "
			   "GOTOOLCHAIN=local go run ./selftest");
}

Test(clients, csharp, .timeout = 120)
{
	run_selftest("csharp",
		     "mcs -nologo -out:/tmp/sg-cs-selftest.exe SockGate.cs "
		     "SelfTest.cs && mono /tmp/sg-cs-selftest.exe");
}

/* The command that prints issuer k's (Node.js, Python, Go, C#) version 2
 * token (ttl 60 s) and its legacy one, a line each; with claims, a token
 * bound to 127.0.0.1/32 for one use (ttl 60 s) and one not good for an
 * hour. */
static void issuer_cmd(int k, const char *addr, int claims, char *cmd,
		       size_t len)
{
	const char *d = clients_dir();

	if (k == 1)
		snprintf(
			cmd, len,
			"cd %s/node && node -e \"const i = require('./issue.js'); "
			"console.log(i.issueToken('%s', '%s', %s)); "
			"console.log(i.issueToken('%s', '%s', %s))\"",
			d, addr, TEST_SECRET,
			claims ? "{ ttl: 60, bindClient: '127.0.0.1/32', "
				 "uses: 1 }" :
				 "{ ttl: 60 }",
			addr, TEST_SECRET,
			claims ? "{ notBefore: Math.floor(Date.now() / 1000) "
				 "+ 3600 }" :
				 "{ legacy: true }");
	else if (k == 2)
		snprintf(cmd, len,
			 "cd %s/python && python3 -c \"import sockgate_issuer "
			 "as i, time; "
			 "print(i.issue_token('%s', '%s', %s)); "
			 "print(i.issue_token('%s', '%s', %s))\"",
			 d, addr, TEST_SECRET,
			 claims ? "ttl=60, bind_client='127.0.0.1/32', uses=1" :
				  "ttl=60",
			 addr, TEST_SECRET,
			 claims ? "not_before=int(time.time()) + 3600" :
				  "legacy=True");
	else if (k == 3)
		snprintf(cmd, len,
			 "cd %s/go && GOCACHE=/tmp/sg-gocache GOFLAGS=-mod=mod "
			 "GOTOOLCHAIN=local go run ./issuecmd '%s' '%s'%s",
			 d, TEST_SECRET, addr, claims ? " claims" : "");
	else
		snprintf(
			cmd, len,
			"cd %s/csharp && mcs -nologo -out:/tmp/sg-cs-issue.exe "
			"Issuer.cs IssueCmd.cs && mono /tmp/sg-cs-issue.exe "
			"'%s' '%s'%s",
			d, TEST_SECRET, addr, claims ? " claims" : "");
}

/* Issuer k's two lines (issuer_cmd) into tok[2]. */
static void issuer_tokens(int k, const char *name, const char *addr, int claims,
			  char tok[2][512])
{
	char cmd[1024], *out, *nl;
	int st;

	issuer_cmd(k, addr, claims, cmd, sizeof(cmd));
	out = run_cmd(cmd, &st);
	cr_assert_eq(st, 0, "%s: %s", name, out);
	nl = strchr(out, '\n');
	cr_assert_not_null(nl, "%s: two lines: %s", name, out);
	*nl = '\0';
	snprintf(tok[0], 512, "%s", out);
	snprintf(tok[1], 512, "%s", nl + 1);
	free(out);
}

/*
 * Issuers: a token from each (C, Node.js, Python, Go, C#; the
 * authenticated form with a ttl, and the legacy one) opens a session
 * through the real gateway, and each legacy one decrypts with openssl
 * enc -d.
 */
Test(clients, issuers_interoperate, .timeout = 180)
{
	static const char *const names[] = { "c", "node", "python", "go",
					     "csharp" };
	char addr[64], tok[2][512], *plain;
	struct env e;

	env_up(&e);
	snprintf(addr, sizeof(addr), "%s", loop_addr(e.gport));
	cr_assert_gt(sg_issue_token(addr, TEST_SECRET, 60, 0, tok[0],
				    sizeof(tok[0])),
		     0);
	cr_assert_gt(sg_issue_token(addr, TEST_SECRET, 0, 1, tok[1],
				    sizeof(tok[1])),
		     0);
	/* the guests have only the C one */
	for (int k = 0; k <= (sg_light() ? 0 : 4); k++) {
		if (k)
			issuer_tokens(k, names[k], addr, 0, tok);
		for (int i = 0; i < 2; i++) {
			int fd = -1;

			cr_assert_eq(gw_dial_token(e.g4.port, tok[i], &fd), 200,
				     "%s's %s token %s", names[k],
				     i ? "legacy" : "version 2", tok[i]);
			greeted(fd);
		}
		cr_assert_eq(tok[0][0], 'A', "%s: version 2", names[k]);
		plain = ossl_decrypt(TEST_SECRET, tok[1], "sha256");
		cr_assert_not_null(plain, "%s: openssl enc -d reads it",
				   names[k]);
		cr_assert_str_eq(plain, addr);
		free(plain);
	}
	env_down(&e);
}

/*
 * Every issuer sets the claims: its token bound to 127.0.0.1/32 for one
 * use gets 401 from 127.0.0.2, 200 from 127.0.0.1, then 401 (used up);
 * its token not good for an hour gets 401. And C# makes the README's
 * vectors, with its own GCM (mono has none).
 */
Test(clients, issuers_set_claims, .timeout = 180)
{
	static const char *const names[] = { "c", "node", "python", "go",
					     "csharp" };
	struct sg_claims once = { .client = "127.0.0.1/32", .uses = 1 },
			 later = { .not_before = (long long)time(NULL) + 3600 };
	char addr[64], tok[2][512], *out;
	struct env e;
	int st;

	env_up(&e);
	snprintf(addr, sizeof(addr), "%s", loop_addr(e.gport));
	cr_assert_gt(sg_issue_token_claims(addr, TEST_SECRET, 60, &once, tok[0],
					   sizeof(tok[0])),
		     0);
	cr_assert_gt(sg_issue_token_claims(addr, TEST_SECRET, 0, &later, tok[1],
					   sizeof(tok[1])),
		     0);
	for (int k = 0; k <= (sg_light() ? 0 : 4); k++) {
		if (k)
			issuer_tokens(k, names[k], addr, 1, tok);
		cr_assert_eq(gw_dial_from("127.0.0.2", e.g4.port, tok[0], NULL),
			     401, "%s: bound to another client", names[k]);
		cr_assert_eq(gw_dial_from("127.0.0.1", e.g4.port, tok[0], NULL),
			     200, "%s: from its client", names[k]);
		cr_assert_eq(gw_dial_from("127.0.0.1", e.g4.port, tok[0], NULL),
			     401, "%s: used up", names[k]);
		cr_assert_eq(gw_dial_from("127.0.0.1", e.g4.port, tok[1], NULL),
			     401, "%s: not valid yet", names[k]);
	}
	cr_assert_eq(gw_log_wait(&e.g4, "401 token bound to another client",
				 sg_light() ? 1 : 5, 10000),
		     sg_light() ? 1 : 5);
	cr_assert_eq(gw_log_wait(&e.g4, "401 token used up", sg_light() ? 1 : 5,
				 10000),
		     sg_light() ? 1 : 5);
	cr_assert_eq(gw_log_wait(&e.g4, "401 token not valid yet",
				 sg_light() ? 1 : 5, 10000),
		     sg_light() ? 1 : 5);
	if (!sg_light()) {
		char cmd[512];

		snprintf(cmd, sizeof(cmd),
			 "cd %s/csharp && mcs -nologo "
			 "-out:/tmp/sg-cs-issue.exe Issuer.cs IssueCmd.cs && "
			 "mono /tmp/sg-cs-issue.exe vectors",
			 clients_dir());
		out = run_cmd(cmd, &st);
		cr_assert_eq(st, 0, "%s", out);
		cr_assert_str_eq(out, README_VECTOR "\n" README_CLAIMS_VECTOR);
		free(out);
	}
	env_down(&e);
}

/* Issuer k's list of live gateways from etcd (the first URL is dead:
 * each helper must go on to the next), addresses space separated. */
static char *issuer_gateways(int k, const char *url)
{
	const char *d = clients_dir();
	char cmd[1024];
	int st;
	char *out;

	if (k == 0)
		snprintf(
			cmd, sizeof(cmd),
			"cd %s/node && node -e \"require('./issue.js')"
			".liveGateways(['http://127.0.0.1:1', '%s'])"
			".then(g => console.log(g.map(x => x.addr).join(' ')))\"",
			d, url);
	else if (k == 1)
		snprintf(cmd, sizeof(cmd),
			 "cd %s/python && python3 -c \"import sockgate_issuer "
			 "as i; print(' '.join(g['addr'] for g in "
			 "i.live_gateways(['http://127.0.0.1:1', '%s'])))\"",
			 d, url);
	else
		snprintf(cmd, sizeof(cmd),
			 "cd %s/go && GOCACHE=/tmp/sg-gocache GOFLAGS=-mod=mod "
			 "GOTOOLCHAIN=local go run ./gatewayscmd "
			 "http://127.0.0.1:1,%s | tr '\\n' ' ' | sed 's/ $//'",
			 d, url);
	out = run_cmd(cmd, &st);
	cr_assert_eq(st, 0, "issuer %d: %s", k, out);
	return out;
}

/*
 * The Node.js, Python and Go issuers list the gateways live in a real
 * etcd: fewest sessions first, and a gateway that stopped is gone.
 */
Test(clients, issuers_list_live_gateways, .timeout = 180)
{
	static const char *const names[] = { "node", "python", "go" };
	struct etcd_srv e;
	struct fx a, b;
	char want[96], aa[32], ab[32], *v = NULL;
	struct fx *busy, *idle;

	if (sg_light())
		return; /* no etcd, Node, Python or Go in the guests */
	cr_assert_eq(etcd_register_start(&e, NULL, "127.0.0.1", 0), 0);
	fx_echo(&a, NULL,
		(const char *const[]){ "--etcd", e.url, "--etcd-ttl", "2",
				       NULL });
	fx_echo(&b, NULL,
		(const char *const[]){ "--etcd", e.url, "--etcd-ttl", "2",
				       NULL });
	cr_assert_geq(etcd_wait_count(&e, "/sockgate/gateways/", 2, 5000), 0);
	/* a session on the one whose address sorts first: it comes last */
	snprintf(aa, sizeof(aa), "%s", loop_addr(a.g.port));
	snprintf(ab, sizeof(ab), "%s", loop_addr(b.g.port));
	busy = strcmp(aa, ab) < 0 ? &a : &b;
	idle = busy == &a ? &b : &a;
	fx_dial_echo(busy);
	for (long t0 = ms_now(); ms_now() - t0 < 5000; ms_sleep(100)) {
		free(v);
		v = etcd_values(&e, "/sockgate/gateways/");
		if (v && strstr(v, "\"sessions\":1"))
			break;
	}
	cr_assert(v && strstr(v, "\"sessions\":1"), "%s", v);
	free(v);
	snprintf(want, sizeof(want), "%s %s", busy == &a ? ab : aa,
		 busy == &a ? aa : ab);
	for (int k = 0; k < 3; k++) {
		char *out = issuer_gateways(k, e.url);

		cr_assert_str_eq(out, want, "%s", names[k]);
		free(out);
	}
	/* the idle one stops: it leaves etcd at once */
	cr_assert_eq(gw_stop(&idle->g), 0);
	idle->g.pid = 0;
	for (int k = 0; k < 3; k++) {
		char *out = issuer_gateways(k, e.url);

		cr_assert_str_eq(out, loop_addr(busy->g.port), "%s", names[k]);
		free(out);
	}
	fx_end(&a);
	fx_end(&b);
	etcd_register_stop(&e);
}

/* "%XX" for every byte but letters and digits: a URL fragment. */
static void pct(const char *s, char *out, size_t len)
{
	size_t o = 0;

	for (; *s && o + 4 < len; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9'))
			out[o++] = *s;
		else
			o += (size_t)snprintf(out + o, len - o, "%%%02X",
					      (unsigned char)*s);
	}
	out[o] = '\0';
}

/*
 * The browser client (clients/web/sockgate.js) in a real browser:
 * headless chromium loads tests/web/page.html from a local web server;
 * the page imports the module and, through the gateway, echoes over ws://
 * and wss:// (the test certificate trusted by its key's hash), reads a
 * greeting backend's first bytes, and sees a bad token refused with 401
 * and Close 4401. What the page received is read from its DOM.
 */
Test(clients, browser_ws_and_wss, .timeout = 180)
{
	struct certs k;
	struct env e;
	struct echo_srv echo;
	struct gw g;
	char cmd[12288], cfg[2048], enc[6144], spki[128], udd[64], *out, *dom;
	char repo[600], http_port[16] = "", http_pid[16] = "";
	FILE *srv;
	int st;

	if (sg_light())
		return; /* no browser in the guests */
	certs_make(&k);
	env_up(&e);
	cr_assert_eq(echo_start(&echo, 0), 0);
	cr_assert_eq(gw_start(&g, 0,
			      (const char *[]){ "--tls-cert", k.ec, "--tls-key",
						k.ec_key, "--allow-plain",
						NULL }),
		     0);
	snprintf(repo, sizeof(repo), "%s/..", clients_dir());
	snprintf(
		cmd, sizeof(cmd),
		"exec python3 -c 'import functools, http.server, os, sys, time\n"
		"class H(http.server.SimpleHTTPRequestHandler):\n"
		"  def log_message(self, *a): pass\n"
		"  def do_GET(self):\n"
		"    if not self.path.startswith(\"/wait\"): return super().do_GET()\n"
		"    time.sleep(0.5); self.send_response(204); self.end_headers()\n"
		"h = functools.partial(H, directory=sys.argv[1])\n"
		"s = http.server.ThreadingHTTPServer((\"127.0.0.1\", 0), h)\n"
		"print(s.server_port, os.getpid(), flush=True)\n"
		"s.serve_forever()' %s",
		repo);
	srv = popen(cmd, "r");
	cr_assert_not_null(srv);
	cr_assert_eq(fscanf(srv, "%15s %15s", http_port, http_pid), 2,
		     "the page's web server");
	snprintf(cmd, sizeof(cmd),
		 "openssl x509 -in %s -pubkey -noout | openssl pkey -pubin "
		 "-outform der | openssl dgst -sha256 -binary | base64",
		 k.ec);
	out = run_cmd(cmd, &st);
	snprintf(spki, sizeof(spki), "%s", out);
	free(out);
	snprintf(cfg, sizeof(cfg),
		 "{\"ws\":\"ws://127.0.0.1:%u\",\"wss\":\"wss://localhost:%u\","
		 "\"echo\":\"%s\",\"greeter\":\"%s\",\"bad\":\"%s\","
		 "\"greeting\":\"220 sockgate test backend ready\\r\\n\"}",
		 g.port, g.port, loop_token(echo.port), e.good, e.bad);
	pct(cfg, enc, sizeof(enc));
	snprintf(udd, sizeof(udd), "/tmp/sg-chromium.XXXXXX");
	cr_assert_not_null(mkdtemp(udd));
	snprintf(cmd, sizeof(cmd),
		 "timeout 120 chromium --headless --no-sandbox --disable-gpu "
		 "--user-data-dir=%s --ignore-certificate-errors-spki-list=%s "
		 "--virtual-time-budget=30000 --dump-dom "
		 "'http://127.0.0.1:%s/tests/web/page.html#%s' 2>/dev/null",
		 udd, spki, http_port, enc);
	dom = run_cmd(cmd, &st);
	kill(atoi(http_pid), SIGTERM);
	pclose(srv);
	rm_tree(udd);
	cr_log_info("the page: %s", dom);
	cr_expect(strstr(dom, "ws-echo: got=hello over ws"), "%s", dom);
	cr_expect(strstr(dom, "wss-echo: got=104,105,0,255"), "%s", dom);
	cr_expect(strstr(dom, "wss-greeter: got=\"220 sockgate test backend "
			      "ready\\r\\n\""),
		  "%s", dom);
	cr_expect(strstr(dom, "ws-bad-token: error status=401 close=4401"),
		  "%s", dom);
	cr_assert(strstr(dom, "done"), "%s", dom);
	free(dom);
	cr_assert_eq(gw_stop(&g), 0);
	echo_stop(&echo);
	env_down(&e);
	certs_drop(&k);
}

/*
 * The examples, as a new user runs them against make run's echo
 * backend: each takes HOST PORT TOKEN, sends "hello" and prints the
 * answer; without arguments each prints its usage and fails (exit 2;
 * go run reports a program's 2 as its own 1).
 */
Test(clients, examples_answer_an_echo_backend, .timeout = 240)
{
	static const char *const run[] = {
		"cc -o /tmp/sg-c-example c/example.c c/sockgate_client.c && "
		"/tmp/sg-c-example",
		"cd python && python3 example.py",
		"cd node && node example.js",
		"cd go && GOCACHE=/tmp/sg-gocache GOFLAGS=-mod=mod "
		"GOTOOLCHAIN=local go run ./example",
		"cd csharp && mcs -nologo -out:/tmp/sg-cs-example.exe SockGate.cs "
		"Example.cs && mono /tmp/sg-cs-example.exe",
	};
	char cmd[1024], *out;
	struct fx f;
	int st;

	if (sg_light())
		return;
	fx_echo(&f, NULL, NULL);
	for (size_t i = 0; i < sizeof(run) / sizeof(run[0]); i++) {
		snprintf(cmd, sizeof(cmd), "cd %s && %s 127.0.0.1 %u '%s' 2>&1",
			 clients_dir(), run[i], f.g.port,
			 loop_token(f.be->port));
		out = run_cmd(cmd, &st);
		cr_expect_eq(st, 0, "%s: %s", run[i], out);
		cr_expect_str_eq(out, "hello", "%s", run[i]);
		free(out);
		snprintf(cmd, sizeof(cmd), "cd %s && %s 2>&1", clients_dir(),
			 run[i]);
		out = run_cmd(cmd, &st);
		cr_expect(st == 2 || (i == 3 && st == 1),
			  "%s without arguments: exit %d, %s", run[i], st, out);
		cr_expect(strstr(out, "usage"), "%s: %s", run[i], out);
		free(out);
	}
	fx_end(&f);
}
