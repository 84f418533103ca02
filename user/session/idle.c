// SPDX-License-Identifier: MIT
/* Idle and old sessions closed: see session/idle.h. */
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon/gateway.h"
#include "session/idle.h"
#include "core/log.h"
#include "core/sock.h"
#include "fwd/path.h"
#include "session/life.h"
#include "session/session.h"

/* A sweep every quarter timeout, within these bounds. */
#define SWEEP_MIN_NS 100000000ull  /* 100 ms */
#define SWEEP_MAX_NS 5000000000ull /* 5 s */

uint64_t idle_quiet_ms(int fd)
{
	struct tcp_info ti;

	if (fd < 0 || sock_tcp_info(fd, &ti) < 0)
		return 0;
	return ti.tcpi_last_data_recv < ti.tcpi_last_data_sent ?
		       ti.tcpi_last_data_recv :
		       ti.tcpi_last_data_sent;
}

/* The smaller of the two limits that are set. */
static uint64_t limit_ns(const struct conf *c)
{
	if (!c->idle_ns || (c->max_age_ns && c->max_age_ns < c->idle_ns))
		return c->max_age_ns;
	return c->idle_ns;
}

static uint64_t sweep_ns(const struct worker *w)
{
	uint64_t t = limit_ns(&w->gw->conf) / 4;

	return t < SWEEP_MIN_NS ? SWEEP_MIN_NS :
	       t > SWEEP_MAX_NS ? SWEEP_MAX_NS :
				  t;
}

static void sweep(struct evl *loop, struct evl_timer *t)
{
	struct worker *w = container_of(t, struct worker, idle_timer);
	uint64_t limit_ms = w->gw->conf.idle_ns / 1000000;
	uint64_t age_ms = w->gw->conf.max_age_ns / 1000000;
	struct session *s = w->ss.all, *next;
	uint64_t t0 = evl_clock_ns();
	unsigned looked = 0, closed = 0;

	for (; s; s = next) {
		char why[64];

		next = s->next; /* session_end frees s */
		/* the other stages have deadlines of their own */
		if (s->state != SESS_FORWARD && s->state != SESS_FLUSH)
			continue;
		looked++;
		if (age_ms && session_age_ms(s) >= age_ms) {
			metric_add(w->gw->m.age_closed, 1);
			snprintf(why, sizeof(why),
				 "older than --max-session-age %.1f s",
				 (double)w->gw->conf.max_age_ns / 1e9);
		} else if (limit_ms && session_age_ms(s) >= limit_ms &&
			   idle_quiet_ms(s->cli.fd) >= limit_ms &&
			   idle_quiet_ms(s->be.fd) >= limit_ms) {
			metric_add(w->gw->m.idle_closed, 1);
			snprintf(why, sizeof(why), "idle for %.1f s",
				 (double)w->gw->conf.idle_ns / 1e9);
		} else {
			continue;
		}
		/* FIN unless bytes the gateway holds would be lost */
		session_end(s, why, path_buffered(s));
		closed++;
	}
	log_debug("idle sweep: %u sessions looked at, %u closed, %llu us",
		  looked, closed,
		  (unsigned long long)((evl_clock_ns() - t0) / 1000));
	evl_timer_start(loop, t, sweep_ns(w));
}

void idle_start(struct worker *w)
{
	evl_timer_init(&w->idle_timer, sweep);
	if (limit_ns(&w->gw->conf))
		evl_timer_start(w->loop, &w->idle_timer, sweep_ns(w));
}

void idle_stop(struct worker *w)
{
	evl_timer_stop(w->loop, &w->idle_timer);
}
