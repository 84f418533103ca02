// SPDX-License-Identifier: MIT
/* A client's transport around the protocol: TLS, WebSocket, or both. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "edge/edge.h"
#include "edge/ws.h"
#include "edge/wsreq.h"
#include "sockgate.h"

struct edge *edge_new(int fd, SSL *ssl)
{
	struct edge *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->io.fd = fd;
	e->io.ssl = ssl;
	e->kind = ssl ? EDGE_TLS : EDGE_PLAIN;
	return e;
}

int edge_ws_start(struct edge *e, uint32_t max_frame, const char *answer,
		  size_t answer_len, const void *pre, size_t pre_len)
{
	e->ws = ws_new(&e->io, max_frame);
	if (!e->ws || ws_queue_raw(e->ws, answer, answer_len) < 0 ||
	    ws_preread(e->ws, pre, pre_len) < 0)
		return -1;
	e->kind = e->io.ssl ? EDGE_WSS : EDGE_WS;
	e->ws_101 = 1;
	return 0;
}

void edge_free(struct edge *e)
{
	if (!e)
		return;
	ws_free(e->ws);
	if (e->io.ssl)
		SSL_free(e->io.ssl);
	free(e);
}

ssize_t edge_read(struct edge *e, void *buf, size_t len)
{
	return e->ws ? ws_read(e->ws, buf, len) : eio_read(&e->io, buf, len);
}

ssize_t edge_write(struct edge *e, const void *buf, size_t len)
{
	return e->ws ? ws_write(e->ws, buf, len) : eio_write(&e->io, buf, len);
}

int edge_flush(struct edge *e)
{
	return e->ws ? ws_flush(e->ws) : 0;
}

int edge_shut(struct edge *e)
{
	if (!e->ws)
		return eio_shut(&e->io);
	ws_close(e->ws, 1000, NULL);
	return ws_flush(e->ws);
}

size_t edge_queued(const struct edge *e)
{
	return e->ws ? ws_queued(e->ws) : 0;
}

uint32_t edge_events(const struct edge *e)
{
	return eio_events(&e->io) | (e->ws && ws_queued(e->ws) ? EPOLLOUT : 0);
}

int edge_finished(const struct edge *e)
{
	return e->ws && ws_failed(e->ws);
}

int edge_refuse(struct edge *e, int code, int http_status, const char *why)
{
	const char *text = sg_code_text((enum sg_code)code);
	char buf[512];
	int r;

	if (e->ws) {
		/* browsers hide HTTP statuses from scripts, not close codes */
		if (ws_write(e->ws, text, SG_STATUS_LEN) < 0 && errno != EAGAIN)
			return -1;
		ws_close(e->ws, (uint16_t)(4000 + atoi(text)), why);
		r = ws_flush(e->ws);
	} else if (e->kind == EDGE_PLAIN || e->kind == EDGE_TLS) {
		if (e->io.ssl && !SSL_is_init_finished(e->io.ssl))
			return -1; /* no TLS yet: nothing it could read */
		if (http_status) {
			size_t n = wsreq_refuse(http_status, why, buf,
						sizeof(buf));

			r = eio_write_all(&e->io, buf, n);
		} else {
			r = eio_write_all(&e->io, text, SG_STATUS_LEN);
		}
	} else {
		r = -1;
	}
	if (eio_shut(&e->io) < 0)
		return -1;
	return r;
}

const char *edge_kind_name(enum edge_kind k)
{
	static const char *const names[] = { "plain", "tls", "ws", "wss" };

	return k < EDGE_KINDS ? names[k] : "?";
}
