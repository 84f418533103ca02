// SPDX-License-Identifier: MIT
/*
 * The session object: allocation from its worker's pool, its place in
 * the worker's list, its stage, its sockets' end. What happens in each
 * stage is elsewhere (session/session.h: enum sess_state).
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/gateway.h"
#include "core/log.h"
#include "core/sock.h"
#include "edge/edge.h"
#include "session/session.h"

static const char *const state_name[] = {
	[SESS_HANDSHAKE] = "handshake", [SESS_CONNECT] = "connect",
	[SESS_FLUSH] = "flush",		[SESS_FORWARD] = "forward",
	[SESS_LINGER] = "linger",
};

/* The worker's handshakes in progress: a list through their setup
 * state, so that the oldest can give way (session/handshake.c), and a count that
 * --max-conns leaves out. */
static void hs_link(struct session *s)
{
	struct worker *w = s->w;

	s->setup->hs_prev = NULL;
	s->setup->hs_next = w->ss.hs_head;
	if (w->ss.hs_head)
		w->ss.hs_head->setup->hs_prev = s;
	else
		w->ss.hs_tail = s;
	w->ss.hs_head = s;
	w->ss.hs_count++;
	metric_add(w->gw->m.handshaking, 1);
}

static void hs_unlink(struct session *s)
{
	struct worker *w = s->w;
	struct sess_setup *u = s->setup;

	if (u->hs_prev)
		u->hs_prev->setup->hs_next = u->hs_next;
	else
		w->ss.hs_head = u->hs_next;
	if (u->hs_next)
		u->hs_next->setup->hs_prev = u->hs_prev;
	else
		w->ss.hs_tail = u->hs_prev;
	w->ss.hs_count--;
	metric_add(w->gw->m.handshaking, -1);
}

struct session *session_oldest_handshake(struct worker *w)
{
	return w->ss.hs_tail;
}

struct session *session_new(struct worker *w, int fd, const union sg_addr *peer,
			    evl_fd_cb cli_cb, evl_fd_cb be_cb,
			    evl_timer_cb timer_cb)
{
	struct session *s = pool_get(&w->spool);

	if (s)
		s->setup = malloc(sizeof(*s->setup));
	if (!s || !s->setup) {
		log_warn("accept: out of memory, dropping a client");
		if (s)
			pool_put(&w->spool, s);
		close(fd);
		return NULL;
	}
	/* all but the 8 KiB line buffer, which is filled before it is read */
	memset(&s->setup->len, 0,
	       sizeof(*s->setup) - offsetof(struct sess_setup, len));
	s->w = w;
	sg_caddr_set(&s->cli_addr, &peer->sa);
	/* the session's id is its worker and start: one a nanosecond */
	s->start_ns = evl_now(w->loop);
	if (s->start_ns <= w->last_start_ns)
		s->start_ns = w->last_start_ns + 1;
	w->last_start_ns = s->start_ns;
	s->state = SESS_HANDSHAKE;
	evl_fd_init(&s->cli, fd, cli_cb);
	evl_fd_init(&s->be, -1, be_cb);
	evl_timer_init(&s->timer, timer_cb);
	/* the client's socket has the listener's options (listen.c) */

	s->next = w->ss.all;
	if (w->ss.all)
		w->ss.all->prev = s;
	w->ss.all = s;
	w->ss.n++;
	metric_add(w->gw->m.active, 1);
	hs_link(s);
	return s;
}

void session_set_state(struct session *s, enum sess_state to)
{
	if (log_min_level <= LOG_LVL_DEBUG) {
		char c[SG_ADDR_TEXT];

		sg_caddr_fmt(&s->cli_addr, c, sizeof(c));
		log_debug("session %s: %s -> %s", c, state_name[s->state],
			  state_name[to]);
	}
	if (s->state == SESS_HANDSHAKE && to != SESS_HANDSHAKE)
		hs_unlink(s);
	s->state = (uint8_t)to;
}

void session_close_fd(struct session *s, struct evl_fd *io, int rst)
{
	if (io->fd < 0)
		return;
	if (rst)
		sock_set_reset(io->fd);
	evl_fd_close(s->w->loop, io);
}

void session_setup_free(struct session *s)
{
	uint64_t tid;

	if (s->setup_gone || !s->setup)
		return;
	tid = s->setup->tid;
	free(s->setup->addr);
	edge_free(s->setup->edge);
	free(s->setup);
	s->tid = tid;
	s->setup_gone = 1;
	trim_note(&s->w->trim, s->w->loop, sizeof(struct sess_setup));
}

void session_free(struct session *s, int rst)
{
	struct worker *w = s->w;

	evl_timer_stop(w->loop, &s->timer);
	if (s->state == SESS_HANDSHAKE)
		hs_unlink(s);
	if (s->ip_counted)
		perip_give(&w->gw->perip, &s->cli_addr);
	session_close_fd(s, &s->cli, rst);
	session_close_fd(s, &s->be, rst);
	if (rst)
		metric_add(w->gw->m.resets, 1);
	session_setup_free(s);
	metric_add(w->moved[0], s->bytes_up);
	metric_add(w->moved[1], s->bytes_down);
	if (s->prev)
		s->prev->next = s->next;
	else
		w->ss.all = s->next;
	if (s->next)
		s->next->prev = s->prev;
	w->ss.n--;
	metric_add(w->gw->m.active, -1);
	pool_put(&w->spool, s);
}
