/* SPDX-License-Identifier: MIT */
#ifndef SG_EDGE_H
#define SG_EDGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "edge/io.h"

struct ws;

/*
 * What a client speaks around the protocol: TLS, WebSocket, or both
 * (EDGE_PLAIN sessions have no struct edge). A session's edge is made by
 * the handshake and handed to its forwarder, which reads and writes the
 * client through it.
 */
enum edge_kind {
	EDGE_PLAIN,
	EDGE_TLS,
	EDGE_WS,
	EDGE_WSS,
	EDGE_KINDS,
};

struct edge {
	struct edge_io io;
	struct ws *ws;	/* WebSocket: NULL until the upgrade */
	uint8_t kind;	/* enum edge_kind */
	uint8_t ws_101; /* the 101 answer is queued: refusals are Close */
};

/* A client under TLS (ssl) or in clear (ssl NULL); NULL: no memory. */
struct edge *edge_new(int fd, SSL *ssl);
/* The upgrade: frames from now on, pre the bytes that came after the
 * request. 0, or -1 (no memory). */
int edge_ws_start(struct edge *e, uint32_t max_frame, const char *answer,
		  size_t answer_len, const void *pre, size_t pre_len);
void edge_free(struct edge *e);

/* As eio_read/eio_write, through the WebSocket framing if any. */
ssize_t edge_read(struct edge *e, void *buf, size_t len);
ssize_t edge_write(struct edge *e, const void *buf, size_t len);
/* Sends what is queued (control frames, a staged frame). 0; -1 errno. */
int edge_flush(struct edge *e);
/* The end of our stream to the client: WebSocket Close (1000), or TLS
 * close_notify and FIN. 0 once out; -1 with errno (EAGAIN: again later). */
int edge_shut(struct edge *e);
/* Bytes queued for the client and not yet sent. */
size_t edge_queued(const struct edge *e);
/* Events the client socket must report for the edge's own sake. */
uint32_t edge_events(const struct edge *e);
/* The edge ended the session (a WebSocket protocol error's Close is out). */
int edge_finished(const struct edge *e);
/*
 * A refusal before forwarding, best effort on a fresh socket: the status
 * (code, "401") in the client's form (TLS: in the stream; WebSocket: a
 * binary message, then Close 4000 + code with why), or before a
 * WebSocket upgrade an HTTP answer (http_status). 0 if all went out.
 */
int edge_refuse(struct edge *e, int code, int http_status, const char *why);
/* "tls", "ws", "wss": for the log. */
const char *edge_kind_name(enum edge_kind k);

#endif
