// SPDX-License-Identifier: MIT
/* Live sessions as JSON, each worker reporting its own: see ctl/status.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/gateway.h"
#include "session/idle.h"
#include "fwd/path.h"
#include "session/session.h"
#include "ctl/status.h"

#define WAIT_NS 1000000000L

static const char *const state_name[] = { "handshake", "connect", "flush",
					  "forward", "linger" };

/* A growing text buffer; on a failed allocation it stops growing and
 * the document is dropped. */
struct buf {
	char *p;
	size_t len, cap;
	int bad;
};

static void put(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->bad)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL,
			      b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->bad = 1;
			return;
		}
		if (b->p && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap ? b->cap * 2 : 4096) + (size_t)n;
		char *p = realloc(b->p, cap);

		if (!p) {
			b->bad = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

/* The rows of w's sessions, on w's thread. */
static void rows(struct worker *w, struct buf *b)
{
	for (struct session *s = w->ss.all; s; s = s->next) {
		char c[SG_ADDR_TEXT], be[SG_ADDR_TEXT];
		uint64_t up, down, q1, q2;

		sg_caddr_fmt(&s->cli_addr, c, sizeof(c));
		sg_caddr_fmt(&s->be_addr, be, sizeof(be));
		path_counts(s, &up, &down);
		q1 = idle_quiet_ms(s->cli.fd);
		q2 = s->be.fd >= 0 ? idle_quiet_ms(s->be.fd) : q1;
		/* addresses are digits, dots, colons and brackets: no
		 * escaping needed, and none of them comes from a client's
		 * bytes */
		put(b,
		    "%s{\"worker\":%d,\"client\":\"%s\",\"backend\":\"%s\","
		    "\"mode\":\"%s\",\"state\":\"%s\",\"up\":%llu,\"down\":%llu,"
		    "\"age_ms\":%llu,\"idle_ms\":%llu}",
		    b->len ? "," : "", w->id, c, be,
		    s->state == SESS_FORWARD ? path_name(s) : "-",
		    state_name[s->state], (unsigned long long)up,
		    (unsigned long long)down, session_age_ms(s),
		    (unsigned long long)(q1 < q2 ? q1 : q2));
	}
}

void status_worker_serve(struct worker *w)
{
	struct buf b = { 0 };
	unsigned req;

	pthread_mutex_lock(&w->st.lock);
	req = w->st.req;
	pthread_mutex_unlock(&w->st.lock);
	if (req == w->st.done)
		return;
	rows(w, &b);
	pthread_mutex_lock(&w->st.lock);
	free(w->st.buf);
	w->st.buf = b.bad ? NULL : b.p;
	w->st.len = b.bad ? 0 : b.len;
	if (b.bad)
		free(b.p);
	w->st.done = req;
	pthread_cond_broadcast(&w->st.cond);
	pthread_mutex_unlock(&w->st.lock);
}

char *status_sessions_json(struct gateway *gw, size_t *len)
{
	struct buf out = { 0 };
	struct timespec until;
	uint64_t one = 1;
	int first = 1;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += WAIT_NS % 1000000000L;
	until.tv_sec += WAIT_NS / 1000000000L + until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	for (int i = 0; i < gw->nworkers; i++) {
		struct worker *w = &gw->workers[i];

		pthread_mutex_lock(&w->st.lock);
		w->st.req++;
		pthread_mutex_unlock(&w->st.lock);
		/* its wake-up eventfd, as worker_wake() writes it */
		if (write(w->wake.fd, &one, sizeof(one)) < 0)
			continue;
	}
	put(&out, "{\"sessions\":[");
	for (int i = 0; i < gw->nworkers; i++) {
		struct worker *w = &gw->workers[i];
		int r = 0;

		pthread_mutex_lock(&w->st.lock);
		while (w->st.done != w->st.req && r != ETIMEDOUT)
			r = pthread_cond_timedwait(&w->st.cond, &w->st.lock,
						   &until);
		if (w->st.done == w->st.req && w->st.len) {
			put(&out, "%s%.*s", first ? "" : ",", (int)w->st.len,
			    w->st.buf);
			first = 0;
		}
		pthread_mutex_unlock(&w->st.lock);
	}
	put(&out, "],\"workers\":%d}\n", gw->nworkers);
	if (out.bad) {
		free(out.p);
		return NULL;
	}
	*len = out.len;
	return out.p;
}
