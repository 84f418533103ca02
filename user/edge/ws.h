/* SPDX-License-Identifier: MIT */
#ifndef SG_EDGE_WS_H
#define SG_EDGE_WS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct edge_io;
struct ws;

/*
 * WebSocket frames (RFC 6455) over a client's byte stream, server side:
 * libwslay's frame layer parses and builds them, the I/O stays ours.
 * Binary messages carry the bytes; ping, pong, continuation and close
 * are handled here. Reads and writes behave as eio_read/eio_write:
 *   ws_read   payload bytes of the client's binary messages; 0 once the
 *             client's Close came (or its EOF), or after a protocol
 *             error (our Close with 1002, 1003 or 1009 is then queued,
 *             and ws_failed() tells when it is out); -1 with errno.
 *   ws_write  one binary message of up to len bytes; > 0 the payload
 *             bytes taken (queued, maybe not yet sent: ws_flush).
 * Output is staged in one buffer so that a frame's header and payload
 * leave in one write (one TLS record).
 */
struct ws *ws_new(struct edge_io *io, uint32_t max_frame);
void ws_free(struct ws *ws);
/* Bytes read with the opening request that are frames already. 0, -1. */
int ws_preread(struct ws *ws, const void *buf, size_t len);
/* Queues raw bytes (the 101 answer) ahead of any frame. 0, -1. */
int ws_queue_raw(struct ws *ws, const void *buf, size_t len);
ssize_t ws_read(struct ws *ws, void *buf, size_t len);
ssize_t ws_write(struct ws *ws, const void *buf, size_t len);
/* Queues a Close (code, reason) unless one was; later data is dropped. */
void ws_close(struct ws *ws, uint16_t code, const char *reason);
/* Sends what is queued. 0 all out; -1 with errno (EAGAIN). */
int ws_flush(struct ws *ws);
/* Bytes queued and not yet sent. */
size_t ws_queued(const struct ws *ws);
/* A protocol error's Close is out: the session can end. */
int ws_failed(const struct ws *ws);

#endif
