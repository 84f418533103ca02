// SPDX-License-Identifier: MIT
/*
 * Which path a session's bytes take, and when it moves. Forwarders are
 * leaves (fwd/fwd.h): they report, this file acts.
 *
 *   start-up  --mode sockmap|splice|copy: that path. auto: sockmap when
 *             the BPF program loads and attaches, else splice; with
 *             --promote-after, every session starts on copy (short ones
 *             cost less there: no map updates) and moves (below).
 *   hand-off  a path that cannot take a session (fds, memory) falls back:
 *             sockmap -> splice -> copy -> reset. A sockmap session whose
 *             token line's read ended inside an skb copies first, until
 *             no skb is half read (PROMOTE_SOON).
 *   promotion mode auto, once a session has lasted --promote-after and at
 *             every check after, while it streams (--promote-rate, in
 *             large reads): to sockmap as soon as it is quiet, or it
 *             seeks an skb boundary with large buffers for up to
 *             SEEK_CHECKS checks, then goes to splice. An idle or chatty
 *             session stays on copy, dormant, until a read fills its
 *             buffer (fwd/promote.h says why).
 *   episodes  a sockmap session whose peer falls behind copies in user
 *             space for a while: fwd/sockmap/forward.c, within the path.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "edge/edge.h"
#include "fwd/copy.h"
#include "fwd/sockmap/forward.h"
#include "fwd/splice.h"
#include "daemon/gateway.h"
#include "core/log.h"
#include "core/sock.h"
#include "fwd/path.h"
#include "fwd/promote.h"
#include "session/session.h"

/* The paths by enum fwd_mode, best first, each falling back to the next. */
static const struct fwd_ops *const paths[] = {
	[MODE_SOCKMAP] = &fwd_sockmap_ops,
	[MODE_SPLICE] = &fwd_splice_ops,
	[MODE_COPY] = &fwd_copy_ops,
};

/* The forwarder of s->mode; NULL before one runs (MODE_AUTO). */
static const struct fwd_ops *ops_of(const struct session *s)
{
	return s->mode == MODE_AUTO ? NULL : paths[s->mode];
}

static const struct fwd_ops *fallback(const struct fwd_ops *ops)
{
	return ops->mode == MODE_COPY ? NULL : paths[ops->mode + 1];
}

void path_choose(struct gateway *gw, sockmap_event_fn on_event)
{
	char why[256] = "";
	uint32_t socks = gw->conf.max_conns ? 2 * (uint32_t)gw->conf.max_conns :
					      2 * 131072;

	if (gw->conf.mode == MODE_SOCKMAP || gw->conf.mode == MODE_AUTO)
		gw->sm = sockmap_load(gw->conf.bpf_pin_dir, socks, on_event,
				      NULL, why, sizeof(why));
	switch (gw->conf.mode) {
	case MODE_SOCKMAP:
		if (!gw->sm)
			fatal("--mode sockmap: %s", why);
		gw->fwd = &fwd_sockmap_ops;
		break;
	case MODE_COPY:
	case MODE_SPLICE:
		gw->fwd = paths[gw->conf.mode];
		break;
	case MODE_AUTO:
		if (gw->sm && gw->conf.promote_ns && gw->conf.promote_rate) {
			gw->fwd = &fwd_copy_ops;
			gw->promote = 1;
			log_info(
				"mode auto: sockmap (the BPF verdict program "
				"loaded and attached) for streams (%ld B/s "
				"in large reads) that last %llu ms, once "
				"a read has taken all their socket held, else "
				"splice; idle and chatty sessions stay on copy",
				gw->conf.promote_rate,
				(unsigned long long)(gw->conf.promote_ns /
						     1000000));
		} else if (gw->sm && gw->conf.promote_ns) {
			gw->fwd = &fwd_copy_ops;
			gw->promote = 1;
			log_info(
				"mode auto: sockmap (the BPF verdict program "
				"loaded and attached) for sessions that last "
				"%llu ms, streams too once a read has taken all "
				"their socket held; copy before that",
				(unsigned long long)(gw->conf.promote_ns /
						     1000000));
		} else if (gw->sm) {
			gw->fwd = &fwd_sockmap_ops;
			log_info("mode auto: sockmap (the BPF verdict program "
				 "loaded and attached)");
		} else {
			gw->fwd = &fwd_splice_ops;
			log_warn(
				"mode auto: splice, because the sockmap path is "
				"unavailable: %s",
				why);
		}
		break;
	}
	gw->mode = gw->fwd->mode;
}

size_t path_session_size(const struct gateway *gw)
{
	size_t tail = 0;

	for (size_t i = 1; i < sizeof(paths) / sizeof(paths[0]); i++)
		if ((paths[i] != &fwd_sockmap_ops || gw->sm) &&
		    paths[i]->tail > tail)
			tail = paths[i]->tail;
	return sizeof(struct session) + tail;
}

void path_stop(struct session *s)
{
	const struct fwd_ops *ops = ops_of(s);

	/* sockmap's adds the kernel's byte counts */
	if (s->state == SESS_FORWARD && ops)
		ops->stop(s);
}

/* Bytes waiting in fd's receive queue; an error counts as some. */
static int unread(int fd)
{
	int n;

	return sock_unread(fd, &n) < 0 || n > 0;
}

/*
 * --keepalive on the backend's socket (the client's has the listener's).
 * Five setsockopt() calls: a session that may move waits for its first
 * check, so that a short one, the most common, never pays them.
 */
static void backend_keepalive(struct session *s)
{
	const struct keepalive *k = &s->w->gw->conf.keepalive;

	sock_keepalive(s->be.fd, k->idle, k->interval, k->count);
}

/* Arms the promotion check of a session that starts on copy. */
static void promote_arm(struct session *s)
{
	uint64_t after = s->promote == PROMOTE_SOON ? PROMOTE_RETRY_NS :
						      s->w->gw->conf.promote_ns;

	if (evl_timer_start(s->w->loop, &s->timer, after) < 0)
		s->promote = 0;
}

static enum edge_path path_edge(const struct session *s)
{
	switch (s->edge) {
	case EDGE_TLS:
		return s->mode == MODE_SPLICE ? EPATH_KTLS : EPATH_TLS_COPY;
	case EDGE_WS:
		return EPATH_WS;
	default:
		return EPATH_WSS;
	}
}

/*
 * A TLS or WebSocket session: splice when libssl handed both directions
 * to the kernel's TLS (the kernel encrypts; "ktls"), else copy through
 * the edge. Never sockmap: a socket with the TLS upper layer cannot join
 * a sockmap, and WebSocket frames need user space. The forwarder takes
 * the edge from the handshake's state.
 */
static int edge_start(struct session *s)
{
	struct gateway *gw = s->w->gw;
	const struct fwd_ops *ops =
		s->edge == EDGE_TLS && eio_ktls_both(&s->setup->edge->io) ?
			&fwd_splice_ops :
			&fwd_copy_ops;

	s->promote = 0;
	backend_keepalive(s);
	eio_log_ktls(&s->setup->edge->io);
	for (;;) {
		s->mode = (uint8_t)ops->mode;
		if (ops->start(s) == 0)
			break;
		if (ops == &fwd_copy_ops) {
			s->mode = MODE_AUTO; /* none */
			return -1;
		}
		log_info("%s cannot take a session (%s): copy instead",
			 ops->name, strerror(errno));
		ops = &fwd_copy_ops;
	}
	s->setup->edge = NULL;
	metric_add(gw->m.mode_sessions[s->mode], 1);
	metric_add(gw->m.edge_sessions[path_edge(s)], 1);
	return 0;
}

int path_start(struct session *s)
{
	struct gateway *gw = s->w->gw;
	const struct fwd_ops *ops = gw->fwd;

	if (s->edge)
		return edge_start(s);
	s->promote = gw->promote ? PROMOTE_LATER : 0;
	if (ops == &fwd_sockmap_ops && !s->hs_whole && unread(s->cli.fd)) {
		/* the verdict would be given the half-read skb whole: copy
		 * until no skb is half read */
		ops = &fwd_copy_ops;
		s->promote = PROMOTE_SOON;
		log_debug("the token line's read ended inside an skb: copy "
			  "first");
	}
	for (;;) {
		s->mode = (uint8_t)ops->mode;
		if (ops->start(s) == 0)
			break;
		if (!fallback(ops)) {
			s->mode = MODE_AUTO; /* none */
			return -1;
		}
		log_info("%s cannot take a session (%s): %s instead", ops->name,
			 strerror(errno), fallback(ops)->name);
		ops = fallback(ops);
	}
	metric_add(gw->m.mode_sessions[s->mode], 1);
	if (ops == &fwd_copy_ops && s->promote)
		promote_arm(s);
	if (s->promote != PROMOTE_LATER)
		backend_keepalive(s);
	return 0;
}

/*
 * Moves a copy session whose buffers are empty to `to`: sockmap (which
 * takes the bytes read so far from the session's counters and line_len;
 * no skb may be half read) or splice. It stays on copy if `to` cannot
 * take it.
 */
static struct fwd_res promote(struct session *s, const struct fwd_ops *to)
{
	struct gateway *gw = s->w->gw;
	const struct fwd_ops *from = ops_of(s);
	int err;

	s->promote = 0;
	evl_timer_stop(s->w->loop, &s->timer);
	from->stop(s);
	s->mode = (uint8_t)to->mode;
	if (to->start(s) == 0) {
		s->promoted = 1;
		metric_add(gw->m.promotions[to == &fwd_splice_ops], 1);
		log_debug("session moved from %s to %s after %llu ms",
			  from->name, to->name, session_age_ms(s));
	} else {
		err = errno;
		s->mode = (uint8_t)from->mode;
		if (from->start(s) < 0) {
			s->mode = MODE_AUTO; /* none */
			return fwd_reset(-1,
					 "cannot restart forwarding (out of "
					 "memory)",
					 0);
		}
		log_info("%s cannot take a session (%s): it stays on %s",
			 to->name, strerror(err), from->name);
	}
	return ops_of(s)->io(s, NULL, 0);
}

/* The promotion rule (fwd/promote.h) at each check, carried out. */
static struct fwd_res promote_check(struct session *s)
{
	const struct fwd_ops *ops = ops_of(s);
	struct promo *p = ops->promo(s);
	enum fwd_ready ready = ops->ready(s);
	uint64_t retry, before = p->last_total;

	if (s->promote == PROMOTE_LATER && p->checks == 0)
		backend_keepalive(s); /* it lasted: see backend_keepalive() */

	switch (promote_rule(p, s->promote == PROMOTE_SOON, ready,
			     s->bytes_up + s->bytes_down, evl_now(s->w->loop),
			     (uint64_t)s->w->gw->conf.promote_rate, &retry)) {
	case PROMO_STOP:
		s->promote = 0; /* it ends here */
		return FWD_OK;
	case PROMO_DORMANT:
		/* idle or chatty: copy is its cheapest path (promote.h) */
		s->promote = PROMOTE_DORMANT;
		metric_add(s->w->gw->m.copy_kept, 1);
		return FWD_OK;
	case PROMO_SOCKMAP:
		return promote(s, &fwd_sockmap_ops);
	case PROMO_SPLICE:
		return promote(s, &fwd_splice_ops);
	case PROMO_SEEK:
		if (p->seeks == 1)
			log_debug("session busy (%llu bytes since the last "
				  "check): seeking an skb boundary",
				  (unsigned long long)(p->last_total - before));
		if (ops->seek(s) < 0 && ready >= FWD_EMPTY)
			return promote(s, &fwd_splice_ops);
		break;
	case PROMO_WAIT:
		break;
	}
	evl_timer_start(s->w->loop, &s->timer, retry);
	return FWD_OK;
}

void path_counts(const struct session *s, uint64_t *up, uint64_t *down)
{
	const struct fwd_ops *ops = ops_of(s);

	*up = s->bytes_up;
	*down = s->bytes_down;
	if (s->state == SESS_FORWARD && ops && ops->counts)
		ops->counts(s, up, down);
}

const char *path_name(const struct session *s)
{
	const struct fwd_ops *ops = ops_of(s);

	if (s->edge && ops)
		return edge_path_names[path_edge(s)];
	return ops ? ops->name : "-";
}

int path_buffered(const struct session *s)
{
	const struct fwd_ops *ops = ops_of(s);

	return s->state == SESS_FLUSH || (s->state == SESS_FORWARD && ops &&
					  ops->buffered && ops->buffered(s));
}

struct fwd_res path_io(struct session *s, struct evl_fd *w, uint32_t events)
{
	return ops_of(s)->io(s, w, events);
}

struct fwd_res path_timer(struct session *s)
{
	const struct fwd_ops *ops = ops_of(s);

	if (s->promote)
		return promote_check(s);
	return ops->timer ? ops->timer(s) : FWD_OK;
}

struct session *path_event(struct worker *w, uint64_t cookie, struct fwd_res *r)
{
	struct sg_sock v;
	struct session *s;

	/* the entry goes before its session is freed, on this thread: if it
	 * is there, so is the session, forwarding on sockmap */
	if (!w->gw->sm || sockmap_read(w->gw->sm, cookie, &v) < 0 || !v.user)
		return NULL;
	s = (struct session *)(uintptr_t)v.user;
	if (s->state != SESS_FORWARD || !ops_of(s)->event)
		return NULL;
	*r = ops_of(s)->event(s, cookie);
	return s;
}
