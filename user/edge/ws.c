// SPDX-License-Identifier: MIT
/* WebSocket frames over a client's stream: libwslay's frame layer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <wslay/wslay.h>

#include "edge/io.h"
#include "edge/ws.h"

/* payload bytes a data frame carries at most: one TLS record's worth */
#define WS_FRAME_OUT 16384
/* the staging buffer: a frame's header and payload, or the 101 answer */
#define WS_OBUF (WS_FRAME_OUT + 512)

struct ws {
	struct edge_io *io;
	wslay_frame_context_ptr fc;
	uint64_t max_frame;
	/* input */
	uint8_t *pre; /* frames read with the request */
	size_t pre_len, pre_off;
	uint8_t *spill; /* a chunk's bytes that did not fit the caller's */
	size_t spill_len, spill_off;
	uint64_t in_left;   /* payload bytes left of the current frame */
	uint8_t in_op;	    /* its opcode */
	uint8_t in_started; /* its first chunk came */
	uint8_t msg_open;   /* a fragmented binary message goes on */
	uint8_t in_eof;	    /* the transport reported its end */
	uint8_t close_in;   /* the client's Close came */
	uint8_t failed;	    /* a protocol error: our Close ends it */
	int in_err;	    /* the transport's errno */
	uint8_t ctl_len;
	uint8_t ctl[125];
	/* output */
	uint8_t *obuf;
	size_t olen, ooff;
	int out_err;
	uint8_t pong_len, pong_pending;
	uint8_t pong[125];
	uint8_t close_len, close_queued, close_staged;
	uint8_t close[125];
};

static ssize_t recv_cb(uint8_t *buf, size_t len, int flags, void *arg)
{
	struct ws *ws = arg;
	ssize_t n;

	(void)flags;
	if (ws->pre_off < ws->pre_len) {
		n = (ssize_t)(ws->pre_len - ws->pre_off);
		if ((size_t)n > len)
			n = (ssize_t)len;
		memcpy(buf, ws->pre + ws->pre_off, (size_t)n);
		ws->pre_off += (size_t)n;
		return n;
	}
	n = eio_read(ws->io, buf, len);
	if (n > 0)
		return n;
	if (n == 0)
		ws->in_eof = 1;
	else
		ws->in_err = errno;
	return -1;
}

/* "Sends" into the staging buffer; ws_flush() sends it. */
static ssize_t send_cb(const uint8_t *data, size_t len, int flags, void *arg)
{
	struct ws *ws = arg;
	size_t room = WS_OBUF - ws->olen;

	(void)flags;
	if (room == 0)
		return -1;
	if (len > room)
		len = room;
	memcpy(ws->obuf + ws->olen, data, len);
	ws->olen += len;
	return (ssize_t)len;
}

static int genmask_cb(uint8_t *buf, size_t len, void *arg)
{
	(void)arg;
	memset(buf, 0, len); /* a server's frames are not masked */
	return 0;
}

static const struct wslay_frame_callbacks ws_cbs = {
	.send_callback = send_cb,
	.recv_callback = recv_cb,
	.genmask_callback = genmask_cb,
};

struct ws *ws_new(struct edge_io *io, uint32_t max_frame)
{
	struct ws *ws = calloc(1, sizeof(*ws));

	if (!ws)
		return NULL;
	ws->obuf = malloc(WS_OBUF);
	if (!ws->obuf || wslay_frame_context_init(&ws->fc, &ws_cbs, ws) != 0) {
		free(ws->obuf);
		free(ws);
		return NULL;
	}
	ws->io = io;
	ws->max_frame = max_frame;
	return ws;
}

void ws_free(struct ws *ws)
{
	if (!ws)
		return;
	wslay_frame_context_free(ws->fc);
	free(ws->pre);
	free(ws->spill);
	free(ws->obuf);
	free(ws);
}

int ws_preread(struct ws *ws, const void *buf, size_t len)
{
	if (len == 0)
		return 0;
	ws->pre = malloc(len);
	if (!ws->pre)
		return -1;
	memcpy(ws->pre, buf, len);
	ws->pre_len = len;
	return 0;
}

int ws_queue_raw(struct ws *ws, const void *buf, size_t len)
{
	if (len > WS_OBUF - ws->olen)
		return -1;
	memcpy(ws->obuf + ws->olen, buf, len);
	ws->olen += len;
	return 0;
}

void ws_close(struct ws *ws, uint16_t code, const char *reason)
{
	uint16_t be = htons(code);
	size_t rl = reason ? strlen(reason) : 0;

	if (ws->close_queued)
		return;
	if (rl > sizeof(ws->close) - 2)
		rl = sizeof(ws->close) - 2;
	memcpy(ws->close, &be, 2);
	if (rl)
		memcpy(ws->close + 2, reason, rl);
	ws->close_len = (uint8_t)(2 + rl);
	ws->close_queued = 1;
}

/* A protocol error: Close with code, the input ends (0: its EOF). */
static ssize_t proto_error(struct ws *ws, uint16_t code, const char *why)
{
	ws_close(ws, code, why);
	ws->failed = 1;
	return 0;
}

/* Stages one whole frame (control, or data of len bytes) if the buffer
 * has room for it: 1 staged, 0 no room yet. */
static int stage(struct ws *ws, uint8_t op, const uint8_t *p, size_t len)
{
	struct wslay_frame_iocb f = {
		.fin = 1,
		.opcode = op,
		.payload_length = len,
		.data = p,
		.data_length = len,
	};

	if (WS_OBUF - ws->olen < len + 14)
		return 0;
	/* the callback takes all: header and payload in one call */
	if (wslay_frame_send(ws->fc, &f) != (ssize_t)len)
		return 0;
	return 1;
}

int ws_flush(struct ws *ws)
{
	for (;;) {
		while (ws->ooff < ws->olen) {
			ssize_t n = eio_write(ws->io, ws->obuf + ws->ooff,
					      ws->olen - ws->ooff);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return -1;
			ws->ooff += (size_t)n;
		}
		ws->olen = ws->ooff = 0;
		/* control frames go between data frames, which are whole */
		if (ws->pong_pending && !ws->close_queued) {
			stage(ws, WSLAY_PONG, ws->pong, ws->pong_len);
			ws->pong_pending = 0;
			continue;
		}
		if (ws->close_queued && !ws->close_staged) {
			stage(ws, WSLAY_CONNECTION_CLOSE, ws->close,
			      ws->close_len);
			ws->close_staged = 1;
			continue;
		}
		return 0;
	}
}

size_t ws_queued(const struct ws *ws)
{
	return ws->olen - ws->ooff + ws->pong_pending +
	       (ws->close_queued && !ws->close_staged);
}

int ws_failed(const struct ws *ws)
{
	return ws->failed && ws->close_staged && ws->ooff == ws->olen;
}

ssize_t ws_write(struct ws *ws, const void *buf, size_t len)
{
	if (ws_flush(ws) < 0)
		return -1;
	if (ws->close_queued)
		return (ssize_t)len; /* after our Close: no more data */
	if (len > WS_FRAME_OUT)
		len = WS_FRAME_OUT;
	if (!stage(ws, WSLAY_BINARY_FRAME, buf, len)) {
		errno = EAGAIN;
		return -1;
	}
	/* sent or staged: the rest goes with the next flush */
	if (ws_flush(ws) < 0 && errno != EAGAIN)
		return -1;
	return (ssize_t)len;
}

/* A control frame is whole: acts on it. */
static ssize_t control(struct ws *ws)
{
	switch (ws->in_op) {
	case WSLAY_PING:
		memcpy(ws->pong, ws->ctl, ws->ctl_len);
		ws->pong_len = ws->ctl_len;
		ws->pong_pending = 1;
		return 1;
	case WSLAY_PONG:
		return 1;
	default: /* Close: the client's stream ends; ours when the
		  * backend's does (ws_close from edge_shut) */
		ws->close_in = 1;
		return 0;
	}
}

/* The first chunk of a frame: the checks a frame header needs. */
static ssize_t frame_start(struct ws *ws, const struct wslay_frame_iocb *f)
{
	ws->in_op = f->opcode;
	ws->in_left = f->payload_length;
	ws->ctl_len = 0;
	if (!f->mask)
		return proto_error(ws, 1002, "client frames must be masked");
	if (f->rsv)
		return proto_error(ws, 1002, "no extension was negotiated");
	switch (f->opcode) {
	case WSLAY_TEXT_FRAME:
		return proto_error(ws, 1003,
				   "text messages are not carried: send "
				   "binary ones");
	case WSLAY_BINARY_FRAME:
		if (ws->msg_open)
			return proto_error(ws, 1002,
					   "a new message before "
					   "the last one ended");
		break;
	case WSLAY_CONTINUATION_FRAME:
		if (!ws->msg_open)
			return proto_error(ws, 1002,
					   "a continuation frame with no "
					   "message");
		break;
	case WSLAY_PING:
	case WSLAY_PONG:
	case WSLAY_CONNECTION_CLOSE:
		return 1;
	default:
		return proto_error(ws, 1002, "unknown opcode");
	}
	if (f->payload_length > ws->max_frame)
		return proto_error(ws, 1009, "frame over --ws-max-frame");
	ws->msg_open = !f->fin;
	return 1;
}

ssize_t ws_read(struct ws *ws, void *buf, size_t len)
{
	uint8_t *out = buf;
	size_t got = 0;

	if (ws->failed)
		return 0;
	if (ws->spill_off < ws->spill_len) {
		got = ws->spill_len - ws->spill_off;
		if (got > len)
			got = len;
		memcpy(out, ws->spill + ws->spill_off, got);
		ws->spill_off += got;
		return (ssize_t)got;
	}
	while (got < len && !ws->close_in && !ws->failed) {
		struct wslay_frame_iocb f;
		ssize_t r;

		memset(&f, 0, sizeof(f));
		ws->in_err = 0;
		r = wslay_frame_recv(ws->fc, &f);
		if (r == WSLAY_ERR_PROTO) {
			proto_error(ws, 1002, "malformed frame");
			return (ssize_t)got;
		}
		if (r < 0) {
			if (got)
				break;
			if (ws->in_eof)
				return 0;
			errno = ws->in_err ? ws->in_err : EAGAIN;
			return -1;
		}
		if (!ws->in_started) {
			if (frame_start(ws, &f) == 0)
				return (ssize_t)got;
			ws->in_started = 1;
		}
		ws->in_left -= (uint64_t)r;
		if (wslay_is_ctrl_frame(ws->in_op)) {
			memcpy(ws->ctl + ws->ctl_len, f.data, (size_t)r);
			ws->ctl_len = (uint8_t)(ws->ctl_len + r);
			if (ws->in_left == 0 && control(ws) == 0)
				break;
		} else {
			size_t take = (size_t)r < len - got ? (size_t)r :
							      len - got;

			memcpy(out + got, f.data, take);
			got += take;
			if (take < (size_t)r) {
				uint8_t *sp =
					realloc(ws->spill, (size_t)r - take);

				if (!sp) {
					errno = ENOMEM;
					return -1;
				}
				ws->spill = sp;
				memcpy(sp, f.data + take, (size_t)r - take);
				ws->spill_len = (size_t)r - take;
				ws->spill_off = 0;
			}
		}
		if (ws->in_left == 0)
			ws->in_started = 0;
	}
	if (got)
		return (ssize_t)got;
	if (ws->close_in)
		return 0;
	errno = EAGAIN;
	return -1;
}
