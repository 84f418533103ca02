// SPDX-License-Identifier: MIT
/* Idle sessions closed: see session/idle.h. */
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

static uint64_t sweep_ns(const struct worker *w)
{
	uint64_t t = w->gw->conf.idle_ns / 4;

	return t < SWEEP_MIN_NS ? SWEEP_MIN_NS :
	       t > SWEEP_MAX_NS ? SWEEP_MAX_NS :
				  t;
}

static void sweep(struct evl *loop, struct evl_timer *t)
{
	struct worker *w = container_of(t, struct worker, idle_timer);
	uint64_t limit_ms = w->gw->conf.idle_ns / 1000000;
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
		if (session_age_ms(s) < limit_ms ||
		    idle_quiet_ms(s->cli.fd) < limit_ms ||
		    idle_quiet_ms(s->be.fd) < limit_ms)
			continue;
		metric_add(w->gw->m.idle_closed, 1);
		snprintf(why, sizeof(why), "idle for %.1f s",
			 (double)w->gw->conf.idle_ns / 1e9);
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
	if (w->gw->conf.idle_ns)
		evl_timer_start(w->loop, &w->idle_timer, sweep_ns(w));
}

void idle_stop(struct worker *w)
{
	evl_timer_stop(w->loop, &w->idle_timer);
}
