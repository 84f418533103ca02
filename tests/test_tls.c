// SPDX-License-Identifier: MIT
/*
 * TLS on the client side: every mode carries TLS sessions whole, in
 * clear beside them with --allow-plain, the kernel's TLS where the kernel
 * has it; the bad certificate, key and client cases end as documented.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "gwproc.h"
#include "sock.h"
#include "tlsfx.h"
#include "tokens.h"
#include "xfer.h"

TestSuite(tls, .timeout = 60);

#define TLS_ARGS(c) "--tls-cert", (c)->ec, "--tls-key", (c)->ec_key

static long long path_count(const struct fx *f, const char *path)
{
	char name[96];

	snprintf(name, sizeof(name),
		 "sockgate_edge_sessions_total{path=\"%s\"}", path);
	return fx_metric(f, name);
}

/* A gateway serving cert and key (one more flag when more is set) with
 * an echo backend, and a TLS client through it that trusts ca (NULL:
 * verifies nothing). The caller made t->c. */
struct tcase {
	struct certs c;
	struct fx f;
	struct cconn cc;
	SSL_CTX *ctx;
};

static void tls_echo(struct tcase *t, const char *cert, const char *key,
		     const char *more, const char *ca)
{
	fx_echo(&t->f, NULL,
		(const char *[]){ "--tls-cert", cert, "--tls-key", key, more,
				  NULL });
	t->ctx = cc_tls_ctx(ca, 0, 0);
	tls_dial_echo(&t->f, t->ctx, &t->cc);
}

static void tls_echo_end(struct tcase *t)
{
	cc_close(&t->cc);
	SSL_CTX_free(t->ctx);
	fx_end(&t->f);
	certs_drop(&t->c);
}

/* Whether a connected socket here takes the TLS upper layer (errno). */
static int ulp_errno(void)
{
	uint16_t port;
	int l = tcp_listen(0, &port, 1), c = tcp_connect("127.0.0.1", port);
	int r = setsockopt(c, SOL_TCP, TCP_ULP, "tls", sizeof("tls"));
	int err = r < 0 ? errno : 0;

	close(c);
	close(l);
	return err;
}

/* 64 MiB each way through a TLS session, SHA-256 equal at both ends. */
static void bulk(const char *mode, int max_version, const char *want_path,
		 uint64_t size)
{
	struct certs c;
	struct xfer_srv x;
	struct fx f;
	struct cconn cc;
	SSL_CTX *ctx;
	char err[256];
	const char *tok;

	certs_make(&c);
	cr_assert_eq(xfer_srv_start(&x), 0);
	fx_gw(&f, mode,
	      (const char *[]){ TLS_ARGS(&c), "--log-level", "debug", NULL });
	ctx = cc_tls_ctx(c.ca, 0, max_version);
	tok = loop_token(x.port);
	cr_assert_eq(cc_connect(&cc, "127.0.0.1", f.g.port, ctx, "localhost",
				err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(cc_token(&cc, tok), 200);
	cr_assert_eq(xfer_run(&cc, 42, size, size, err, sizeof(err)), 0,
		     "--mode %s: %s", mode, err);
	cc_close(&cc);
	fx_wait_done(&f, 1);
	if (path_count(&f, want_path) != 1) {
		char cmd[256], *why;

		snprintf(cmd, sizeof(cmd), "grep -h 'kernel TLS' %s", f.g.log);
		why = run_cmd(cmd, NULL);
		cr_expect_fail("--mode %s: the session's path is not %s "
			       "(TCP_ULP tls: %s): %s",
			       mode, want_path, strerror(ulp_errno()), why);
		free(why);
	}
	cr_expect_eq(gw_log_count(&f.g, want_path), 1, "logged as %s",
		     want_path);
	SSL_CTX_free(ctx);
	fx_end(&f);
	xfer_srv_stop(&x);
	certs_drop(&c);
}

/* where the kernel has no TLS (this host: no tls.ko), libssl in the copy
 * forwarder; the vmtest guests load tls.ko and take kernel_tls below */
static int kernel_tls(void)
{
	return access("/sys/module/tls", F_OK) == 0;
}

MODE_TEST(tls, bulk_64mib_each_way, M_ALL | M_AUTO, .timeout = 240)
{
	/* TLS 1.3: libssl 3.0 gives the kernel its sending side only; in
	 * the emulated guests 16 MiB (kernel_tls_splices_both_ways below
	 * moves 64 there) */
	bulk(mode, 0, "tls-copy", sg_light() ? 16 << 20 : 64 << 20);
}

Test(tls, kernel_tls_splices_both_ways, .timeout = 240)
{
	if (!kernel_tls()) {
		/* the same transfer, and the log says why not the kernel */
		bulk("auto", TLS1_2_VERSION, "tls-copy", 64 << 20);
		return;
	}
	/* TLS 1.2 AES-GCM: libssl 3.0 hands both directions over */
	bulk("auto", TLS1_2_VERSION, "ktls", 64 << 20);
}

Test(tls, plain_clients_beside_tls_with_allow_plain)
{
	struct tcase t;

	certs_make(&t.c);
	tls_echo(&t, t.c.ec, t.c.ec_key, "--allow-plain", t.c.ca);
	cc_round_trip(&t.cc, "over tls");
	fx_round_trip(fx_dial_echo(&t.f), "in clear");
	close(t.f.fd);
	t.f.fd = -1;
	cc_close(&t.cc);
	fx_wait_done(&t.f, 2);
	cr_expect_eq(path_count(&t.f, "tls-copy") + path_count(&t.f, "ktls"),
		     1);
	tls_echo_end(&t);
}

Test(tls, clients_in_clear_refused_by_default)
{
	struct certs c;
	struct fx f;
	int fd;

	certs_make(&c);
	fx_echo(&f, NULL, (const char *[]){ TLS_ARGS(&c), NULL });
	cr_assert_eq(gw_dial_token(f.g.port, loop_token(f.be->port), &fd), 400);
	cr_assert_eq(read_to_eof(fd, 10000), 0, "then EOF");
	close(fd);
	cr_assert_geq(gw_log_wait(&f.g,
				  "reply 400: a client in clear (TLS is "
				  "required",
				  1, 10000),
		      1);
	fx_end(&f);
	certs_drop(&c);
}

Test(tls, rsa_certificate)
{
	struct tcase t;

	certs_make(&t.c);
	tls_echo(&t, t.c.rsa, t.c.rsa_key, NULL, t.c.ca);
	cc_round_trip(&t.cc, "rsa");
	tls_echo_end(&t);
}

/* sockgate with args: exit status 2 and one line saying want. */
static void refused_start(const char *args, const char *want)
{
	char cmd[1024], *out;
	int st;

	snprintf(
		cmd, sizeof(cmd),
		"SOCKGATE_SECRET=x %s/sockgate --addr 127.0.0.1:0 --pidfile '' "
		"%s 2>&1; echo \"exit $?\"",
		sg_build(), args);
	out = run_cmd(cmd, &st);
	cr_expect(strstr(out, want) && strstr(out, "exit 2"),
		  "%s: want '%s' and exit 2, got: %s", args, want, out);
	free(out);
}

Test(tls, bad_certificate_or_key_stops_the_start)
{
	struct certs c;
	char a[512];

	certs_make(&c);
	snprintf(a, sizeof(a), "--tls-cert %s/missing.pem --tls-key %s", c.dir,
		 c.ec_key);
	refused_start(a, "cannot read --tls-cert");
	snprintf(a, sizeof(a), "--tls-cert %s --tls-key %s", c.ec_key,
		 c.ec_key);
	refused_start(a, "no PEM certificate");
	snprintf(a, sizeof(a), "--tls-cert %s --tls-key %s/missing.key", c.ec,
		 c.dir);
	refused_start(a, "cannot read --tls-key");
	snprintf(a, sizeof(a), "--tls-cert %s --tls-key %s", c.ec, c.other_key);
	refused_start(a, "does not match --tls-cert");
	snprintf(a, sizeof(a), "cp %s %s/cert.key && chmod 600 %s/cert.key",
		 c.ec, c.dir, c.dir);
	free(run_cmd(a, NULL));
	snprintf(a, sizeof(a), "--tls-cert %s --tls-key %s/cert.key", c.ec,
		 c.dir);
	refused_start(a, "no PEM private key");
	snprintf(a, sizeof(a), "--tls-cert %s", c.ec);
	refused_start(a, "--tls-cert and --tls-key go together");
	refused_start("--allow-plain", "--allow-plain needs --tls-cert");
	{
		char cmd[1024], *out;
		int st;

		snprintf(cmd, sizeof(cmd),
			 "chmod 644 %s; SOCKGATE_SECRET=x %s/sockgate --addr "
			 "127.0.0.1:0 --pidfile '' --tls-cert %s --tls-key %s "
			 "2>&1; echo \"exit $?\"; chmod 600 %s",
			 c.ec_key, sg_build(), c.ec, c.ec_key, c.ec_key);
		out = run_cmd(cmd, &st);
		cr_expect(strstr(out, "is open to others") &&
				  strstr(out, "exit 2"),
			  "a key others can read: %s", out);
		free(out);
	}
	certs_drop(&c);
}

Test(tls, expired_certificate_starts_with_a_warning)
{
	struct tcase t;

	certs_make(&t.c);
	/* a client that does not verify still gets through */
	tls_echo(&t, t.c.expired, t.c.ec_key, NULL, NULL);
	cr_assert_eq(gw_log_count(&t.f.g, "has expired"), 1, "log %s",
		     t.f.g.log);
	cc_round_trip(&t.cc, "old");
	tls_echo_end(&t);
}

Test(tls, sighup_new_certificate_for_new_handshakes)
{
	struct certs c;
	struct fx f;
	struct cconn old, fresh;
	SSL_CTX *ctx;
	char cert[160], key[160], cn[64], cmd[1024], *out;
	int st;

	certs_make(&c);
	snprintf(cert, sizeof(cert), "%s/live.pem", c.dir);
	snprintf(key, sizeof(key), "%s/live.key", c.dir);
	snprintf(cmd, sizeof(cmd), "cp -p %s %s && cp -p %s %s", c.ec, cert,
		 c.ec_key, key);
	free(run_cmd(cmd, &st));
	fx_echo(&f, NULL,
		(const char *[]){ "--tls-cert", cert, "--tls-key", key, NULL });
	ctx = cc_tls_ctx(c.ca, 0, 0);
	tls_dial_echo(&f, ctx, &old);
	tls_peer_cn(&old, cn, sizeof(cn));
	cr_assert_str_eq(cn, "localhost");
	snprintf(cmd, sizeof(cmd), "cp -p %s %s && cp -p %s %s", c.renewed,
		 cert, c.renewed_key, key);
	out = run_cmd(cmd, &st);
	cr_assert_eq(st, 0, "%s", out);
	free(out);
	kill(f.g.pid, SIGHUP);
	cr_assert_eq(gw_log_wait(&f.g, "TLS certificate", 1, 10000), 1,
		     "the reload never logged its certificate");
	tls_dial_echo(&f, ctx, &fresh);
	tls_peer_cn(&fresh, cn, sizeof(cn));
	cr_expect_str_eq(cn, "renewed.localhost", "a new handshake");
	/* the old session goes on with the old certificate's keys */
	cc_round_trip(&old, "still");
	cc_close(&old);
	cc_close(&fresh);
	fx_wait_done(&f, 2);
	SSL_CTX_free(ctx);
	fx_end(&f);
	certs_drop(&c);
}

/* A ClientHello's record header and no more: a client that stalls. */
static int stalled_tls(uint16_t port)
{
	static const char hello[] = "\x16\x03\x01\x02\x00";
	int fd = tcp_connect("127.0.0.1", port);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write_all(fd, hello, 5), 5);
	return fd;
}

Test(tls, stalled_handshake_closed_at_the_deadline)
{
	struct certs c;
	struct fx f;
	int fd;

	certs_make(&c);
	fx_echo(&f, NULL,
		(const char *[]){ TLS_ARGS(&c), "--handshake-timeout", "0.3",
				  NULL });
	fd = stalled_tls(f.g.port);
	cr_assert_eq(fx_metric_wait(&f, "sockgate_handshakes_active", 1, 10000),
		     1, "the stalled client never counted as a handshake");
	/* closed by the deadline: EOF (nothing readable was sent in clear) */
	cr_assert_geq(read_to_eof(fd, 10000), 0, "never closed");
	close(fd);
	cr_assert_eq(fx_metric_wait(&f, "sockgate_handshakes_active", 0, 10000),
		     0, "its slot was never freed");
	cr_assert_geq(
		gw_log_wait(&f.g, "reply 400: handshake timeout", 1, 10000), 1);
	fx_end(&f);
	certs_drop(&c);
}

Test(tls, stalled_handshake_gives_way_to_a_new_client)
{
	struct certs c;
	struct fx f;
	struct cconn cc;
	SSL_CTX *ctx;
	int fd;

	certs_make(&c);
	fx_echo(&f, NULL,
		(const char *[]){ TLS_ARGS(&c), "--max-handshakes", "1",
				  "--workers", "1", NULL });
	fd = stalled_tls(f.g.port);
	cr_assert_eq(fx_metric_wait(&f, "sockgate_handshakes_active", 1, 10000),
		     1);
	ctx = cc_tls_ctx(c.ca, 0, 0);
	tls_dial_echo(&f, ctx, &cc);
	cr_assert_geq(read_to_eof(fd, 10000), 0, "the staller stays");
	close(fd);
	cr_assert_geq(
		fx_metric(
			&f,
			"sockgate_refused_total{reason=\"handshake_evicted\"}"),
		1);
	cc_close(&cc);
	SSL_CTX_free(ctx);
	fx_end(&f);
	certs_drop(&c);
}
