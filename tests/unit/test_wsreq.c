// SPDX-License-Identifier: MIT
/* edge/wsreq.c: the WebSocket opening request, by table. */
#include <stdio.h>
#include <string.h>

#include "edge/wsreq.h"
#include "unit.h"

TestSuite(wsreq, .timeout = 10);

#define HDRS(extra)                                       \
	" HTTP/1.1\r\nHost: gw\r\nUpgrade: websocket\r\n" \
	"Connection: keep-alive, Upgrade\r\n"             \
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" \
	"Sec-WebSocket-Version: 13\r\n" extra "\r\n"

static int parse(const char *target, const char *headers, struct wsreq *r)
{
	static char req[4096];
	int n = snprintf(req, sizeof(req), "GET %s%s", target, headers);

	return wsreq_parse(req, (size_t)n, r);
}

static void want_token(const struct wsreq *r, const char *tok)
{
	cr_assert_not_null(r->token);
	cr_assert_eq(r->token_len, strlen(tok), "%.*s", (int)r->token_len,
		     r->token);
	cr_assert_arr_eq(r->token, tok, strlen(tok));
}

Test(wsreq, token_in_the_path_query_or_subprotocol)
{
	struct wsreq r;

	cr_assert_eq(parse("/AgAB-_x", HDRS(""), &r), 0);
	want_token(&r, "AgAB-_x");
	/* a legacy token, escaped or not */
	cr_assert_eq(parse("/U2Fs%2Bx%2Fy%3D", HDRS(""), &r), 0);
	want_token(&r, "U2Fs+x/y=");
	cr_assert_eq(parse("/U2Fs+x/y=", HDRS(""), &r), 0);
	want_token(&r, "U2Fs+x/y=");
	cr_assert_eq(parse("/?a=1&token=T0k&b=2", HDRS(""), &r), 0);
	want_token(&r, "T0k");
	cr_assert_eq(parse("/",
			   HDRS("Sec-WebSocket-Protocol: sockgate, T0k\r\n"),
			   &r),
		     0);
	want_token(&r, "T0k");
	cr_assert_eq(r.proto_len, 8, "sockgate is the answer when offered");
	cr_assert_arr_eq(r.proto, "sockgate", 8);
	cr_assert_eq(parse("/", HDRS("Sec-WebSocket-Protocol: T0k\r\n"), &r),
		     0);
	cr_assert_arr_eq(r.proto, "T0k", 3, "else the token's own");
}

Test(wsreq, refusals_say_why)
{
	static const char *const bad[][3] = {
		{ "/t", " HTTP/1.0\r\n\r\n", "not an HTTP/1.1" },
		{ "/t",
		  " HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		  "Sec-WebSocket-Version: 13\r\n\r\n",
		  "no Sec-WebSocket-Key" },
		{ "/t",
		  " HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		  "Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n",
		  "not 16 bytes" },
		{ "/t",
		  " HTTP/1.1\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
		  "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
		  "no Upgrade" },
		{ "/t", HDRS("") "", NULL },
		{ "/", HDRS(""), "no token" },
		{ "/%zz", HDRS(""), "percent-escape" },
		{ "/t", " HTTP/1.1\r\nbroken line\r\n\r\n", "without ':'" },
	};
	struct wsreq r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(bad[i][0], bad[i][1], &r);

		if (!bad[i][2]) {
			cr_assert_eq(rc, 0, "case %zu", i);
			continue;
		}
		cr_assert_eq(rc, -1, "case %zu", i);
		cr_assert_eq(r.status, 400);
		cr_assert(strstr(r.why, bad[i][2]), "case %zu: %s", i, r.why);
	}
	cr_assert_eq(parse("/t",
			   " HTTP/1.1\r\nUpgrade: websocket\r\nConnection: "
			   "Upgrade\r\nSec-WebSocket-Key: "
			   "dGhlIHNhbXBsZSBub25jZQ==\r\n"
			   "Sec-WebSocket-Version: 8\r\n\r\n",
			   &r),
		     -1);
	cr_assert(strstr(r.why, "Version is not 13"), "%s", r.why);
}

Test(wsreq, the_rfc_6455_accept_key)
{
	struct wsreq r;
	char out[512];

	cr_assert_eq(parse("/t", HDRS(""), &r), 0);
	cr_assert_gt(wsreq_accept(&r, out, sizeof(out)), 0);
	/* RFC 6455 section 1.3's example */
	cr_assert(strstr(out, "Sec-WebSocket-Accept: "
			      "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
		  "%s", out);
	cr_assert(!strncmp(out, "HTTP/1.1 101 ", 13));
	cr_assert_eq(wsreq_accept(&r, out, 20), 0, "too small: nothing");
}

Test(wsreq, origins_and_request_ends)
{
	cr_assert(wsreq_origin_match("https://a.example", "https://a.example",
				     17));
	cr_assert(!wsreq_origin_match("https://a.example", "https://b.example",
				      17));
	cr_assert(wsreq_origin_match("https://*.example", "https://x.y.example",
				     19));
	cr_assert(!wsreq_origin_match("https://*.example", "https://example",
				      15));
	cr_assert_eq(wsreq_end("GET / HTTP/1.1\r\n\r\nXY", 20), 18);
	cr_assert_eq(wsreq_end("GET / HTTP/1.1\r\n", 16), 0);
}
