/* SPDX-License-Identifier: MIT */
#ifndef SG_EDGE_WSREQ_H
#define SG_EDGE_WSREQ_H

#include <stddef.h>

/*
 * A WebSocket opening handshake (RFC 6455 section 4): the client's
 * request parsed, the answers built. Pure functions: the unit tier tests
 * them by table.
 */
struct wsreq {
	const char *key;    /* Sec-WebSocket-Key, 24 base64 characters */
	const char *origin; /* Origin, or NULL */
	size_t origin_len;
	/* the token: from the path ("/TOKEN"), the query ("?token=TOKEN",
	 * percent-decoded in place) or Sec-WebSocket-Protocol; NULL: none */
	const char *token;
	size_t token_len;
	/* the subprotocol to answer with (the one that held the token, or
	 * "sockgate" when offered too), or NULL */
	const char *proto;
	size_t proto_len;
	/* a refusal: the HTTP status (400) and why */
	int status;
	const char *why;
};

/* The request's end ("\r\n\r\n") in buf[0..len): its length with it, or
 * 0 while incomplete. */
size_t wsreq_end(const char *buf, size_t len);
/*
 * Parses req[0..len) (the request with its blank line; modified in place:
 * decoding). 0; -1 with r->status and r->why set: not GET, not HTTP/1.1,
 * no Upgrade: websocket, no Connection: Upgrade, no or a bad key, a
 * version other than 13, no token.
 */
int wsreq_parse(char *req, size_t len, struct wsreq *r);
/* Does origin match pattern: exactly, or with its one '*' standing for
 * any run of characters (every subdomain: "https://" then "*.example.com")? */
int wsreq_origin_match(const char *pattern, const char *origin, size_t len);
/* The 101 answer for r into buf; its length, or 0 if cap is too small. */
size_t wsreq_accept(const struct wsreq *r, char *buf, size_t cap);
/* An HTTP error answer (400, 403) closing the connection; its length. */
size_t wsreq_refuse(int status, const char *why, char *buf, size_t cap);

#endif
