// SPDX-License-Identifier: MIT
/*
 * WebSocket clients (RFC 6455) on the gateway's one listener, ws:// and
 * wss://: the opening request and its refusals, the status as the first
 * message and refusals as close codes, framing (masking, fragments,
 * control frames, limits) and the close handshake as half-closes.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "gwproc.h"
#include "sock.h"
#include "tlsfx.h"
#include "tokens.h"
#include "xfer.h"

TestSuite(ws, .timeout = 60);

/* "/" and the token percent-encoded (a legacy token has + / =). */
static void target_for(const char *tok, char *out, size_t len)
{
	size_t o = 0;

	out[o++] = '/';
	for (; *tok && o + 4 < len; tok++) {
		if (*tok == '+' || *tok == '/' || *tok == '=')
			o += (size_t)snprintf(out + o, len - o, "%%%02X",
					      (unsigned char)*tok);
		else
			out[o++] = *tok;
	}
	out[o] = '\0';
}

/* Opens a WebSocket to f's gateway (TLS when ctx) for the backend on
 * port; asserts 101 and the status message want. */
static void ws_open(struct fx *f, SSL_CTX *ctx, uint16_t port, struct cconn *c,
		    int want)
{
	char err[256], target[8192];

	target_for(loop_token(port), target, sizeof(target));
	cr_assert_eq(cc_connect(c, "127.0.0.1", f->g.port, ctx, "localhost",
				err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(cc_ws_open(c, target, NULL), 101, "answer: %s", c->head);
	cr_assert_eq(cc_ws_status(c), want, "the first message");
}

static long long path_count(const struct fx *f, const char *path)
{
	char name[96];

	snprintf(name, sizeof(name),
		 "sockgate_edge_sessions_total{path=\"%s\"}", path);
	return fx_metric(f, name);
}

Test(ws, echo_in_clear_and_over_tls)
{
	struct certs k;
	struct fx f;
	struct cconn a, b;
	SSL_CTX *ctx;

	certs_make(&k);
	fx_echo(&f, NULL,
		(const char *[]){ "--tls-cert", k.ec, "--tls-key", k.ec_key,
				  "--allow-plain", NULL });
	ctx = cc_tls_ctx(k.ca, 0, 0);
	ws_open(&f, NULL, f.be->port, &a, 200);
	ws_open(&f, ctx, f.be->port, &b, 200);
	cc_round_trip(&a, "over ws");
	cc_round_trip(&b, "over wss");
	cc_close(&a);
	cc_close(&b);
	fx_wait_done(&f, 2);
	cr_expect_eq(path_count(&f, "ws"), 1);
	cr_expect_eq(path_count(&f, "wss"), 1);
	cr_expect_eq(gw_log_count(&f.g, " ws up="), 1, "logged as ws");
	cr_expect_eq(gw_log_count(&f.g, " wss up="), 1, "logged as wss");
	SSL_CTX_free(ctx);
	fx_end(&f);
	certs_drop(&k);
}

/* 16 MiB each way in 16 KiB frames (over a thousand each way). */
static void bulk(int tls)
{
	/* 4 MiB in the emulated guests */
	uint64_t size = sg_light() ? 4 << 20 : 16 << 20;
	struct certs k;
	struct xfer_srv x;
	struct fx f;
	struct cconn c;
	SSL_CTX *ctx = NULL;
	char err[256];

	certs_make(&k);
	cr_assert_eq(xfer_srv_start(&x), 0);
	fx_gw(&f, NULL,
	      (const char *[]){ "--tls-cert", k.ec, "--tls-key", k.ec_key,
				"--allow-plain", NULL });
	if (tls)
		ctx = cc_tls_ctx(k.ca, 0, 0);
	ws_open(&f, ctx, x.port, &c, 200);
	cr_assert_eq(xfer_run(&c, 7, size, size, err, sizeof(err)), 0, "%s: %s",
		     tls ? "wss" : "ws", err);
	cr_assert_eq(c.close_code, 1000, "the gateway's Close");
	cc_close(&c);
	fx_wait_done(&f, 1);
	SSL_CTX_free(ctx);
	fx_end(&f);
	xfer_srv_stop(&x);
	certs_drop(&k);
}

Test(ws, sixteen_mib_each_way_in_frames, .timeout = 120)
{
	bulk(0);
}

Test(ws, sixteen_mib_each_way_in_frames_over_tls, .timeout = 120)
{
	bulk(1);
}

/* A raw request; the answer's status, and its head in head. */
static int raw_request(uint16_t port, const char *req, char *head, size_t len)
{
	int fd = tcp_connect("127.0.0.1", port);
	ssize_t n;

	cr_assert_geq(fd, 0);
	cr_assert_eq(write_all(fd, req, strlen(req)), (ssize_t)strlen(req));
	n = read_full(fd, head, len - 1, 10000);
	close(fd);
	head[n > 0 ? n : 0] = '\0';
	return n > 12 ? atoi(head + 9) : 0;
}

Test(ws, malformed_requests_get_http_400)
{
	/* the request line's end, then the headers */
	static const char *const bad[][2] = {
		{ "no key", " HTTP/1.1\r\nHost: x\r\nUpgrade: "
			    "websocket\r\nConnection: Upgrade\r\n"
			    "Sec-WebSocket-Version: 13\r\n\r\n" },
		{ "version 8", " HTTP/1.1\r\nHost: x\r\nUpgrade: "
			       "websocket\r\nConnection: Upgrade\r\n"
			       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			       "Sec-WebSocket-Version: 8\r\n\r\n" },
		{ "no Upgrade", " HTTP/1.1\r\nHost: x\r\nConnection: "
				"Upgrade\r\nSec-WebSocket-Key: "
				"dGhlIHNhbXBsZSBub25jZQ==\r\n"
				"Sec-WebSocket-Version: 13\r\n\r\n" },
		{ "HTTP/1.0", " HTTP/1.0\r\n\r\n" },
	};
	struct fx f;
	char req[8400], target[8192], head[1024];

	fx_echo(&f, NULL, NULL);
	target_for(loop_token(f.be->port), target, sizeof(target));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(req, sizeof(req), "GET %s%s", target, bad[i][1]);
		cr_expect_eq(raw_request(f.g.port, req, head, sizeof(head)),
			     400, "%s: %s", bad[i][0], head);
	}
	/* no token anywhere */
	snprintf(
		req, sizeof(req),
		"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
		"Connection: Upgrade\r\nSec-WebSocket-Key: "
		"dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
	cr_expect_eq(raw_request(f.g.port, req, head, sizeof(head)), 400,
		     "no token: %s", head);
	cr_expect(strstr(head, "no token"), "the reason in the body: %s", head);
	fx_end(&f);
}

Test(ws, token_in_the_query_or_the_subprotocol)
{
	struct fx f;
	struct cconn c;
	char err[256], enc[8192], target[8300], hdr[8300], cmd[512], *v2;
	int st;

	fx_echo(&f, NULL, NULL);
	target_for(loop_token(f.be->port), enc, sizeof(enc));
	snprintf(target, sizeof(target), "/?a=1&token=%s", enc + 1);
	cr_assert_eq(cc_connect(&c, "127.0.0.1", f.g.port, NULL, NULL, err,
				sizeof(err)),
		     0);
	cr_assert_eq(cc_ws_open(&c, target, NULL), 101, "%s", c.head);
	cr_assert_eq(cc_ws_status(&c), 200, "token in ?token=");
	cc_round_trip(&c, "query");
	cc_close(&c);
	/* a version 2 token is URL-safe: a subprotocol, beside "sockgate" */
	snprintf(cmd, sizeof(cmd),
		 "SOCKGATE_SECRET='%s' %s/sockgatectl encrypt 127.0.0.1:%u",
		 TEST_SECRET, sg_build(), f.be->port);
	v2 = run_cmd(cmd, &st);
	cr_assert_eq(st, 0, "%s", v2);
	snprintf(hdr, sizeof(hdr), "Sec-WebSocket-Protocol: sockgate, %s\r\n",
		 v2);
	cr_assert_eq(cc_connect(&c, "127.0.0.1", f.g.port, NULL, NULL, err,
				sizeof(err)),
		     0);
	cr_assert_eq(cc_ws_open(&c, "/", hdr), 101, "%s", c.head);
	cr_expect(strstr(c.head, "Sec-WebSocket-Protocol: sockgate\r\n"),
		  "the subprotocol chosen: %s", c.head);
	cr_assert_eq(cc_ws_status(&c), 200, "token in the subprotocol");
	cc_round_trip(&c, "subprotocol");
	cc_close(&c);
	free(v2);
	fx_end(&f);
}

Test(ws, bad_token_gets_101_then_close_4401)
{
	struct fx f;
	struct cconn c;
	char err[256];

	fx_echo(&f, NULL, NULL);
	cr_assert_eq(cc_connect(&c, "127.0.0.1", f.g.port, NULL, NULL, err,
				sizeof(err)),
		     0);
	cr_assert_eq(cc_ws_open(&c, "/AgAAAAAAAAAAnotatoken", NULL), 101);
	cr_assert_eq(cc_ws_status(&c), 401);
	{
		uint8_t b[128];
		size_t n;

		cr_assert_eq(cc_ws_next(&c, b, sizeof(b), &n, 10000), 8,
			     "a Close");
	}
	cr_assert_eq(c.close_code, 4401);
	cr_expect(strstr(c.close_reason, "token"), "reason: %s",
		  c.close_reason);
	cc_close(&c);
	fx_end(&f);
}

/* Sends one frame the gateway must refuse; asserts its Close code. */
static void refused_frame(int fin, int op, int mask, size_t len, int code,
			  const char *const *args)
{
	struct fx f;
	struct cconn c;
	uint8_t *data = calloc(1, len + 1), b[128];
	size_t n;
	int got;

	fx_echo(&f, NULL, args);
	ws_open(&f, NULL, f.be->port, &c, 200);
	cr_assert_eq(cc_ws_frame(&c, fin, op, mask, data, len), 0);
	do
		got = cc_ws_next(&c, b, sizeof(b), &n, 10000);
	while (got == 2);
	cr_assert_eq(got, 8, "a Close (op %d, mask %d)", op, mask);
	cr_assert_eq(c.close_code, code, "reason: %s", c.close_reason);
	cr_assert_eq(read_to_eof(c.fd, 10000), 0, "then the gateway closes");
	cc_close(&c);
	cr_assert_geq(gw_log_wait(&f.g, "WebSocket protocol error", 1, 10000),
		      1);
	free(data);
	fx_end(&f);
}

Test(ws, unmasked_frame_closes_1002)
{
	refused_frame(1, 2, 0, 4, 1002, NULL);
}

Test(ws, text_message_closes_1003)
{
	refused_frame(1, 1, 1, 4, 1003, NULL);
}

Test(ws, frame_over_ws_max_frame_closes_1009)
{
	refused_frame(1, 2, 1, 2000, 1009,
		      (const char *[]){ "--ws-max-frame", "1024", NULL });
}

Test(ws, continuation_without_a_message_closes_1002)
{
	refused_frame(1, 0, 1, 4, 1002, NULL);
}

Test(ws, fragments_and_a_ping_during_the_message)
{
	struct fx f;
	struct cconn c;
	uint8_t b[64], got[16];
	size_t n, have = 0;
	int op, pong = 0;

	fx_echo(&f, NULL, NULL);
	ws_open(&f, NULL, f.be->port, &c, 200);
	cr_assert_eq(cc_ws_frame(&c, 0, 2, 1, "ab", 2), 0);
	cr_assert_eq(cc_ws_frame(&c, 1, 9, 1, "p1", 2), 0);
	cr_assert_eq(cc_ws_frame(&c, 0, 0, 1, "cd", 2), 0);
	cr_assert_eq(cc_ws_frame(&c, 1, 0, 1, "ef", 2), 0);
	while (have < 6 || !pong) {
		op = cc_ws_next(&c, b, sizeof(b), &n, 10000);
		cr_assert_geq(op, 0, "have %zu bytes, pong %d", have, pong);
		if (op == 10) {
			cr_assert_eq(n, 2);
			cr_assert_arr_eq(b, "p1", 2,
					 "the pong carries the ping's");
			pong = 1;
		} else {
			cr_assert_eq(op, 2);
			cr_assert_leq(have + n, sizeof(got));
			memcpy(got + have, b, n);
			have += n;
		}
	}
	cr_assert_arr_eq(got, "abcdef", 6, "the fragments in order");
	cc_close(&c);
	fx_end(&f);
}

Test(ws, client_close_is_the_backends_eof)
{
	struct fx f;
	struct cconn c;
	uint8_t b[64];
	size_t n;

	fx_echo(&f, NULL, NULL);
	ws_open(&f, NULL, f.be->port, &c, 200);
	cr_assert_eq(cc_ws_frame(&c, 1, 2, 1, "last", 4), 0);
	cr_assert_eq(cc_ws_frame(&c, 1, 8, 1, "\x03\xe8", 2), 0);
	/* the echo backend answers, sees EOF, closes: its FIN is our Close */
	cr_assert_eq(cc_ws_next(&c, b, sizeof(b), &n, 10000), 2);
	cr_assert_arr_eq(b, "last", 4, "what came before the Close");
	cr_assert_eq(cc_ws_next(&c, b, sizeof(b), &n, 10000), 8);
	cr_assert_eq(c.close_code, 1000);
	cc_close(&c);
	fx_wait_done(&f, 1);
	fx_end(&f);
}

/* A backend that greets, shuts its sending side, and reads the rest. */
struct half_be {
	int lfd;
	uint16_t port;
};

Test(ws, backend_eof_is_a_close_and_the_client_may_still_send)
{
	struct half_be hb;
	struct fx f;
	struct cconn c;
	uint8_t b[64];
	char rest[16] = "";
	size_t n;
	int bfd;

	hb.lfd = tcp_listen(0, &hb.port, 4);
	fx_gw(&f, NULL, NULL);
	ws_open(&f, NULL, hb.port, &c, 200);
	bfd = accept(hb.lfd, NULL, NULL);
	cr_assert_geq(bfd, 0);
	cr_assert_eq(write_all(bfd, "hello", 5), 5);
	shutdown(bfd, SHUT_WR);
	cr_assert_eq(cc_ws_next(&c, b, sizeof(b), &n, 10000), 2);
	cr_assert_arr_eq(b, "hello", 5);
	cr_assert_eq(cc_ws_next(&c, b, sizeof(b), &n, 10000), 8,
		     "the backend's FIN as a Close");
	cr_assert_eq(c.close_code, 1000);
	/* the other way is still open until the client's Close */
	cr_assert_eq(cc_ws_frame(&c, 1, 2, 1, "after", 5), 0);
	cr_assert_eq(read_full(bfd, rest, 5, 10000), 5);
	cr_assert_str_eq(rest, "after");
	cr_assert_eq(cc_ws_frame(&c, 1, 8, 1, "\x03\xe8", 2), 0);
	cr_assert_eq(read_to_eof(bfd, 10000), 0, "the client's Close: EOF");
	close(bfd);
	cr_assert_eq(read_to_eof(c.fd, 10000), 0, "and the gateway closes");
	cc_close(&c);
	fx_wait_done(&f, 1);
	close(hb.lfd);
	fx_end(&f);
}

Test(ws, origins_limited_by_ws_origin)
{
	struct fx f;
	struct cconn c;
	char err[256], target[8192];
	static const char *const tries[][2] = {
		{ "Origin: https://good.example\r\n", "101" },
		{ "Origin: https://play.games.example\r\n", "101" },
		{ "Origin: https://evil.example\r\n", "403" },
		{ "", "403" },
	};

	fx_echo(&f, NULL,
		(const char *[]){ "--ws-origin", "https://good.example",
				  "--ws-origin", "https://*.games.example",
				  NULL });
	target_for(loop_token(f.be->port), target, sizeof(target));
	for (size_t i = 0; i < 4; i++) {
		cr_assert_eq(cc_connect(&c, "127.0.0.1", f.g.port, NULL, NULL,
					err, sizeof(err)),
			     0);
		cr_expect_eq(cc_ws_open(&c, target, tries[i][0]),
			     atoi(tries[i][1]), "%s: %s", tries[i][0], c.head);
		cc_close(&c);
	}
	cr_assert_geq(gw_log_wait(&f.g, "reply 400: origin not allowed", 2,
				  10000),
		      2);
	fx_end(&f);
}

Test(ws, proxy_header_carries_the_browsers_address)
{
	struct half_be hb;
	struct fx f;
	struct cconn c;
	struct sockaddr_in cl;
	socklen_t cl_len = sizeof(cl);
	char want[128], got[128] = "";
	int bfd, n;

	hb.lfd = tcp_listen(0, &hb.port, 4);
	fx_gw(&f, NULL, (const char *[]){ "--proxy-protocol", "v1", NULL });
	ws_open(&f, NULL, hb.port, &c, 200);
	getsockname(c.fd, (struct sockaddr *)&cl, &cl_len);
	n = snprintf(want, sizeof(want),
		     "PROXY TCP4 127.0.0.1 127.0.0.1 %u %u\r\n",
		     ntohs(cl.sin_port), f.g.port);
	bfd = accept(hb.lfd, NULL, NULL);
	cr_assert_geq(bfd, 0);
	cr_assert_eq(read_full(bfd, got, (size_t)n, 10000), n);
	cr_assert_str_eq(got, want);
	close(bfd);
	cc_close(&c);
	close(hb.lfd);
	fx_end(&f);
}
