// SPDX-License-Identifier: MIT
/* A WebSocket client's opening request, read by the handshake stage. */
#include <errno.h>

#include "daemon/gateway.h"
#include "edge/edge.h"
#include "edge/wsreq.h"
#include "session/upgrade.h"
#include "sockgate.h"

/* A refusal answered in HTTP: the request never became a WebSocket. */
static struct stage_res http_fail(struct session *s, int status,
				  const char *why)
{
	s->setup->http_status = (uint16_t)status;
	return stage_fail(CODE_400, why, "WebSocket request refused");
}

static int origin_ok(const struct conf *c, const struct wsreq *rq)
{
	if (!c->n_ws_origins)
		return 1;
	if (!rq->origin)
		return 0;
	for (size_t i = 0; i < c->n_ws_origins; i++)
		if (wsreq_origin_match(c->ws_origins[i], rq->origin,
				       rq->origin_len))
			return 1;
	return 0;
}

struct stage_res upgrade_read(struct session *s, char **token, size_t *len)
{
	struct sess_setup *u = s->setup;
	const struct conf *c = &s->w->gw->conf;
	char answer[512];
	struct wsreq rq;
	size_t end, alen;

	if (!u->edge) {
		u->edge = edge_new(s->cli.fd, NULL);
		if (!u->edge)
			return stage_end("out of memory for a WebSocket", 1);
	}
	end = u->len < 4 ? 0 : wsreq_end(u->buf, u->len);
	if (!end)
		return u->len == sizeof(u->buf) ?
			       http_fail(s, 400, "request headers too large") :
			       STAGE_OK;
	if (wsreq_parse(u->buf, end, &rq) < 0)
		return http_fail(s, rq.status, rq.why);
	if (!origin_ok(c, &rq))
		return http_fail(s, 403, "origin not allowed (--ws-origin)");
	alen = wsreq_accept(&rq, answer, sizeof(answer));
	if (!alen)
		return http_fail(s, 400, "subprotocol too long");
	/* what came after the request is frames already */
	if (edge_ws_start(u->edge, (uint32_t)c->ws_max_frame, answer, alen,
			  u->buf + end, u->len - end) < 0)
		return stage_end("out of memory for a WebSocket", 1);
	s->edge = u->edge->kind;
	u->left_off = u->len;
	/* the 101 goes now; what the socket cannot take goes with the status */
	if (edge_flush(u->edge) < 0 && errno != EAGAIN)
		return stage_end("client write failed", 1);
	*token = (char *)rq.token; /* in u->buf */
	*len = rq.token_len;
	return STAGE_NEXT;
}
