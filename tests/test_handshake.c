// SPDX-License-Identifier: MIT
/* The handshake: every status code, each for a real reason. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "peers.h"

static struct gw g;
static struct echo_srv echo;

static void up(void)
{
	cr_assert_eq(echo_start(&echo, 0), 0, "echo backend");
	cr_assert_eq(gw_start(&g, 0, NULL), 0, "gateway start (log %s)", g.log);
}

static void down(void)
{
	cr_expect_eq(gw_stop(&g), 0, "gateway exit status (log %s)", g.log);
	echo_stop(&echo);
}

TestSuite(handshake, .init = up, .fini = down, .timeout = 60);

/* 200, then bytes round-trip through the echo backend. */
static void expect_echo(const char *token, const char *what)
{
	char buf[64] = "";
	int fd = -1;
	int code = gw_dial_token(g.port, token, &fd);

	cr_assert_eq(code, 200, "%s: status %d, want 200 (log %s)", what, code,
		     g.log);
	cr_assert_eq(write_all(fd, "ping-pong", 9), 9);
	cr_assert_eq(read_full(fd, buf, 9, 10000), 9, "%s: echo", what);
	cr_assert_str_eq(buf, "ping-pong");
	close(fd);
}

Test(handshake, openssl_md5_token)
{
	expect_echo(ossl_token(TEST_SECRET, loop_addr(echo.port), "md5"),
		    "md5");
}

Test(handshake, openssl_default_digest_token)
{
	expect_echo(loop_token(echo.port), "default digest");
}

Test(handshake, crlf_line_end)
{
	char line[4200];
	int fd = -1;

	snprintf(line, sizeof(line), "%s\r\n", loop_token(echo.port));
	cr_assert_eq(gw_dial(g.port, line, strlen(line), &fd), 200);
	close(fd);
}

Test(handshake, ipv6_backend)
{
	struct echo_srv e6;
	char a[64];

	cr_assert_eq(echo_start(&e6, 1), 0, "::1 echo backend");
	snprintf(a, sizeof(a), "[::1]:%u", e6.port);
	expect_echo(ossl_token(TEST_SECRET, a, NULL), "[::1]");
	echo_stop(&e6);
}

/* "localhost" goes through c-ares (hosts file); when it lists ::1 first,
 * the refused address is skipped for the next one. */
Test(handshake, dns_name_backend)
{
	char a[64];

	snprintf(a, sizeof(a), "localhost:%u", echo.port);
	expect_echo(ossl_token(TEST_SECRET, a, NULL), "localhost");
}

Test(handshake, eof_before_newline_400)
{
	/* with the write side shut the gateway sees EOF: 400 */
	int fd = tcp_connect("127.0.0.1", g.port);
	char code[4] = "";

	cr_assert_geq(fd, 0);
	write_all(fd, "U2FsdGVkX1", 10);
	shutdown(fd, SHUT_WR);
	cr_assert_eq(read_full(fd, code, 3, 10000), 3);
	cr_assert_str_eq(code, "400");
	cr_assert_eq(read_to_eof(fd, 10000), 0, "closed after the code");
	close(fd);
}

Test(handshake, overlong_line_400)
{
	static char line[20000];

	memset(line, 'A', sizeof(line));
	cr_assert_eq(gw_dial(g.port, line, sizeof(line), NULL), 400);
	/* exactly at the limit plus one, with a newline */
	memset(line, 'A', 4097);
	line[4097] = '\n';
	cr_assert_eq(gw_dial(g.port, line, 4098, NULL), 400);
}

Test(handshake, max_length_line_is_read_401)
{
	static char line[4098];

	/* 4096 bytes is a line the gateway reads; it is no token: 401 */
	memset(line, 'A', 4096);
	line[4096] = '\n';
	cr_assert_eq(gw_dial(g.port, line, 4097, NULL), 401);
}

Test(handshake, handshake_timeout_400)
{
	struct fx f;
	const char *args[] = { "--handshake-timeout", "0.3", NULL };
	char code[4] = "";

	fx_gw(&f, NULL, args);
	f.fd = tcp_connect("127.0.0.1", f.g.port);
	cr_assert_geq(f.fd, 0);
	write_all(f.fd, "U2Fsd", 5); /* a slow client: part of a line */
	cr_assert_eq(read_full(f.fd, code, 3, 10000), 3);
	cr_assert_str_eq(code, "400");
	cr_assert_eq(gw_log_count(&f.g, "handshake timeout"), 1);
	cr_assert_eq(fx_metric(&f, "sockgate_replies_total{code=\"400\"} "), 1);
	fx_end(&f);
}

/*
 * With TCP_DEFER_ACCEPT (--defer-accept, 1 s by default) the kernel hands
 * over a client once its first bytes are there; one that sends nothing
 * is handed over after about a second all the same, and its handshake
 * timeout answers it: no silent client sits unanswered in the kernel.
 */
Test(handshake, silent_client_answered_with_deferred_accept)
{
	struct fx f;
	const char *args[] = { "--handshake-timeout", "0.3", NULL };
	char code[4] = "";

	fx_gw(&f, NULL, args);
	f.fd = tcp_connect("127.0.0.1", f.g.port);
	cr_assert_geq(f.fd, 0);
	cr_assert_eq(read_full(f.fd, code, 3, 30000), 3,
		     "no 400 for a client that sent nothing");
	cr_assert_str_eq(code, "400");
	cr_assert_eq(gw_log_count(&f.g, "handshake timeout"), 1);
	cr_assert_eq(fx_metric(&f, "sockgate_accepted_total "), 1);
	fx_end(&f);
}

/*
 * The kernel hands a client over at its first bytes, part of a line: the
 * gateway reads that part at once and the rest when it comes.
 */
Test(handshake, token_in_two_parts_with_deferred_accept)
{
	struct fx f;
	char addr[32], code[4] = "";
	const char *tok;

	fx_echo(&f, "auto", NULL);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", f.be->port);
	tok = ossl_token(TEST_SECRET, addr, NULL);
	f.fd = tcp_connect("127.0.0.1", f.g.port);
	cr_assert_geq(f.fd, 0);
	write_all(f.fd, tok, 5);
	cr_assert_eq(fx_metric_wait(&f, "sockgate_accepted_total ", 1, 20000),
		     1, "the gateway never accepted the client");
	write_all(f.fd, tok + 5, strlen(tok) - 5);
	write_all(f.fd, "\n", 1);
	cr_assert_eq(read_full(f.fd, code, 3, 10000), 3);
	cr_assert_str_eq(code, "200");
	fx_round_trip(f.fd, "late");
	fx_end(&f);
}

Test(handshake, wrong_secret_401)
{
	cr_assert_eq(gw_dial_token(g.port,
				   ossl_token("other secret",
					      loop_addr(echo.port), NULL),
				   NULL),
		     401);
	cr_assert_eq(gw_dial_token(g.port,
				   ossl_token("other secret",
					      loop_addr(echo.port), "md5"),
				   NULL),
		     401);
}

Test(handshake, no_salted_header_401)
{
	char cmd[256], *tok;

	/* the right secret, but -nosalt: no "Salted__" header */
	setenv("SG_PASS", TEST_SECRET, 1);
	snprintf(cmd, sizeof(cmd),
		 "printf %%s %s | openssl enc -aes-256-cbc -a -A -nosalt "
		 "-pass env:SG_PASS 2>/dev/null",
		 loop_addr(echo.port));
	tok = run_cmd(cmd, NULL);
	cr_assert(strlen(tok) > 20 && strncmp(tok, "U2FsdGVkX1", 10) != 0);
	cr_assert_eq(gw_dial_token(g.port, tok, NULL), 401);
	free(tok);
}

Test(handshake, garbage_401)
{
	cr_assert_eq(gw_dial_token(g.port, "this is not base64 at all!", NULL),
		     401);
	cr_assert_eq(gw_dial_token(g.port, "", NULL), 401);
	cr_assert_eq(gw_dial_token(g.port, "U2FsdGVkX1", NULL), 401);
	cr_assert_eq(gw_dial_token(g.port, "U2FsdGVkX19hYmNkZWZnaA==", NULL),
		     401);
}

Test(handshake, not_an_address_401)
{
	static const char *const bad[] = {
		"hello world",	   "127.0.0.1",	     "127.0.0.1:-1",
		"127.0.0.1:65536", "127.0.0.1:80x",  ":80",
		"::1:80",	   "[::1]",	     "[nope]:80",
		"1.2.3.999:80",	   "a..b:80",	     "-bad.example:80",
		"exa mple:80",	   "127.0.0.1:80\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int code = gw_dial_token(
			g.port, ossl_token(TEST_SECRET, bad[i], NULL), NULL);

		cr_expect_eq(code, 401, "plaintext '%s': %d", bad[i], code);
	}
}

Test(handshake, closed_port_502)
{
	uint16_t port;
	int fd = tcp_listen(0, &port, 1);

	close(fd); /* nothing listens there now */
	cr_assert_eq(gw_dial_token(g.port, loop_token(port), NULL), 502);
}

Test(handshake, unresolvable_name_502)
{
	struct nxdns dns;
	struct fx f;
	char server[64];
	const char *args[] = { "--dns-server", server, NULL };

	cr_assert_eq(nxdns_start(&dns), 0);
	snprintf(server, sizeof(server), "127.0.0.1:%u", dns.port);
	fx_gw(&f, NULL, args);
	cr_assert_eq(gw_dial_token(f.g.port,
				   ossl_token(TEST_SECRET,
					      "no-such-host.sockgate.test:80",
					      NULL),
				   NULL),
		     502);
	cr_assert_gt(atomic_load(&dns.queries), 0, "the resolver was asked");
	cr_assert_eq(fx_metric(&f, "sockgate_connect_attempts_total "), 0,
		     "no address, no attempt");
	fx_end(&f);
	nxdns_stop(&dns);
}

/* A listener whose accept queue is full drops SYNs: every attempt times
 * out, and the gateway makes exactly `retry` of them. */
Test(handshake, timeouts_504_after_retry_attempts)
{
	struct fx f;
	const char *args[] = { "--retry", "3", "--timeout", "0.3", NULL };
	uint16_t port;
	int lfd = tcp_listen(0, &port, 0), fill[8], nfill = 0;
	char want[64];

	cr_assert_geq(lfd, 0);
	/* backlog 0 holds one connection; fill it (and then some) */
	for (int i = 0; i < 8; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_port = htons(port),
					  .sin_addr.s_addr =
						  htonl(0x7f000001) };

		connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		fill[nfill++] = fd;
	}
	/* the queue is full once a connection waits in it (TCP_INFO of a
	 * listener: tcpi_unacked is its accept queue's length) */
	for (long end = ms_now() + 30000; ms_now() < end; ms_sleep(10)) {
		struct tcp_info ti = { 0 };
		socklen_t tl = sizeof(ti);

		if (getsockopt(lfd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0 &&
		    ti.tcpi_unacked >= 1)
			break;
	}
	fx_gw(&f, NULL, args);
	cr_assert_eq(gw_dial_token(f.g.port, loop_token(port), NULL), 504);
	cr_assert_eq(fx_metric(&f, "sockgate_connect_attempts_total "), 3,
		     "three attempts (log %s)", f.g.log);
	cr_assert_eq(fx_metric(&f, "sockgate_connect_timeouts_total "), 3,
		     "each timed out");
	snprintf(want, sizeof(want), "/3 to 127.0.0.1:%u timed out", port);
	cr_assert_eq(gw_log_count(&f.g, want), 3, "and logged");
	fx_end(&f);
	for (int i = 0; i < nfill; i++)
		close(fill[i]);
	close(lfd);
}

Test(handshake, retry_does_not_repeat_refusals)
{
	struct fx f;
	const char *args[] = { "--retry", "5", "--timeout", "1", NULL };
	uint16_t port;
	int fd = tcp_listen(0, &port, 1);

	close(fd);
	fx_gw(&f, NULL, args);
	cr_assert_eq(gw_dial_token(f.g.port, loop_token(port), NULL), 502);
	cr_assert_eq(fx_metric(&f, "sockgate_connect_attempts_total "), 1,
		     "one attempt, not retried");
	cr_assert_eq(fx_metric(&f, "sockgate_connect_timeouts_total "), 0);
	cr_assert_eq(gw_log_count(&f.g, "reply 502: connect"), 1);
	fx_end(&f);
}
