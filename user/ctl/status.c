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
#include "session/life.h"
#include "auth/revoke.h"

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
		char c[SG_ADDR_TEXT], be[SG_ADDR_TEXT], tid[TOKEN_ID_TEXT] = "";
		uint64_t up, down, q1, q2;

		sg_caddr_fmt(&s->cli_addr, c, sizeof(c));
		sg_caddr_fmt(&s->be_addr, be, sizeof(be));
		path_counts(s, &up, &down);
		q1 = idle_quiet_ms(s->cli.fd);
		q2 = s->be.fd >= 0 ? idle_quiet_ms(s->be.fd) : q1;
		if (session_tid(s))
			token_id_fmt(session_tid(s), tid);
		/* addresses are digits, dots, colons and brackets: no
		 * escaping needed, and none of them comes from a client's
		 * bytes */
		put(b,
		    "%s{\"id\":\"%d-%llu\",\"worker\":%d,\"token\":\"%s\","
		    "\"client\":\"%s\",\"backend\":\"%s\","
		    "\"mode\":\"%s\",\"state\":\"%s\",\"up\":%llu,\"down\":%llu,"
		    "\"age_ms\":%llu,\"idle_ms\":%llu}",
		    b->len ? "," : "", w->id, (unsigned long long)s->start_ns,
		    w->id, tid, c, be,
		    s->state == SESS_FORWARD ? path_name(s) : "-",
		    state_name[s->state], (unsigned long long)up,
		    (unsigned long long)down, session_age_ms(s),
		    (unsigned long long)(q1 < q2 ? q1 : q2));
	}
}

/* Does k name s? (KILL_REVOKED: under keys_lock) */
static int named(const struct worker *w, const struct session *s,
		 const struct kill_req *k)
{
	const struct revoke *r = &w->gw->conf.revoke;
	struct allow one = { .v = (struct allow_rule *)&k->rule, .n = 1 };
	struct sg_caddr a;

	switch (k->by) {
	case KILL_ID:
		return k->worker == w->id && k->start_ns == s->start_ns;
	case KILL_CLIENT:
		a = s->cli_addr;
		return sg_caddr_unmap(&a) == 0 && allow_match_caddr(&one, &a);
	case KILL_BACKEND:
		return s->be_addr.family &&
		       allow_match_caddr(&one, &s->be_addr);
	default:
		return (session_tid(s) && revoke_id(r, session_tid(s))) ||
		       (s->be_addr.family && revoke_caddr(r, &s->be_addr));
	}
}

/* The sessions k names, ended on w's thread. */
static unsigned kill_named(struct worker *w, const struct kill_req *k)
{
	struct gateway *gw = w->gw;
	struct session *next;
	unsigned n = 0;
	char why[160];

	snprintf(why, sizeof(why), "killed by %s", k->who);
	if (k->by == KILL_REVOKED)
		pthread_rwlock_rdlock(&gw->keys_lock);
	for (struct session *s = w->ss.all; s; s = next) {
		next = s->next;
		if (!named(w, s, k))
			continue;
		metric_add(gw->m.killed[k->counter], 1);
		session_end(s, why, 1);
		n++;
	}
	if (k->by == KILL_REVOKED)
		pthread_rwlock_unlock(&gw->keys_lock);
	return n;
}

/* What w's sessions moved, closed and live, on w's thread: no session
 * is counted twice or not at all as it closes. */
static void live_bytes(struct worker *w, uint64_t bytes[4])
{
	for (int i = 0; i < 4; i++)
		bytes[i] = metric_get(w->moved[i]);
	for (struct session *s = w->ss.all; s; s = s->next) {
		uint64_t up, down;

		path_counts(s, &up, &down);
		bytes[0] += up;
		bytes[1] += down;
		/* the kernel's share: what the sockmap path adds to ours */
		if (s->state == SESS_FORWARD && s->mode == MODE_SOCKMAP) {
			bytes[2] += up - s->bytes_up;
			bytes[3] += down - s->bytes_down;
		}
	}
}

void status_worker_serve(struct worker *w)
{
	struct buf b = { 0 };
	struct kill_req k;
	unsigned req, killed = 0;
	uint64_t bytes[4] = { 0 };
	int op;

	pthread_mutex_lock(&w->st.lock);
	req = w->st.req;
	op = w->st.op;
	k = w->st.kill;
	pthread_mutex_unlock(&w->st.lock);
	if (req == w->st.done)
		return;
	if (op == ASK_KILL)
		killed = kill_named(w, &k);
	else if (op == ASK_BYTES)
		live_bytes(w, bytes);
	else
		rows(w, &b);
	pthread_mutex_lock(&w->st.lock);
	w->st.killed = killed;
	memcpy(w->st.bytes, bytes, sizeof(bytes));
	free(w->st.buf);
	w->st.buf = b.bad ? NULL : b.p;
	w->st.len = b.bad ? 0 : b.len;
	if (b.bad)
		free(b.p);
	w->st.done = req;
	pthread_cond_broadcast(&w->st.cond);
	pthread_mutex_unlock(&w->st.lock);
}

/* Asks every worker (op; k for ASK_KILL); *until: the deadline of the
 * answers. */
static void ask(struct gateway *gw, int op, const struct kill_req *k,
		struct timespec *until)
{
	uint64_t one = 1;

	clock_gettime(CLOCK_REALTIME, until);
	until->tv_nsec += WAIT_NS % 1000000000L;
	until->tv_sec += WAIT_NS / 1000000000L + until->tv_nsec / 1000000000L;
	until->tv_nsec %= 1000000000L;
	for (int i = 0; i < gw->nworkers; i++) {
		struct worker *w = &gw->workers[i];

		pthread_mutex_lock(&w->st.lock);
		w->st.req++;
		w->st.op = op;
		if (k)
			w->st.kill = *k;
		pthread_mutex_unlock(&w->st.lock);
		/* its wake-up eventfd, as worker_wake() writes it */
		if (write(w->wake.fd, &one, sizeof(one)) < 0)
			continue;
	}
}

/* Waits for w's answer until `until`: 1 with w->st.lock held, or 0. */
static int answer(struct worker *w, const struct timespec *until)
{
	int r = 0;

	pthread_mutex_lock(&w->st.lock);
	while (w->st.done != w->st.req && r != ETIMEDOUT)
		r = pthread_cond_timedwait(&w->st.cond, &w->st.lock, until);
	if (w->st.done == w->st.req)
		return 1;
	pthread_mutex_unlock(&w->st.lock);
	return 0;
}

unsigned status_kill(struct gateway *gw, const struct kill_req *k)
{
	struct timespec until;
	unsigned n = 0;

	ask(gw, ASK_KILL, k, &until);
	for (int i = 0; i < gw->nworkers; i++) {
		struct worker *w = &gw->workers[i];

		if (answer(w, &until)) {
			n += w->st.killed;
			pthread_mutex_unlock(&w->st.lock);
		}
	}
	return n;
}

void status_bytes(struct gateway *gw, uint64_t total[4])
{
	struct timespec until;

	if (!gw->workers)
		return;
	ask(gw, ASK_BYTES, NULL, &until);
	for (int i = 0; i < gw->nworkers; i++) {
		struct worker *w = &gw->workers[i];

		if (!answer(w, &until)) {
			/* no answer in a second: its closed sessions' */
			for (int j = 0; j < 4; j++)
				total[j] += metric_get(w->moved[j]);
			continue;
		}
		for (int j = 0; j < 4; j++)
			total[j] += w->st.bytes[j];
		pthread_mutex_unlock(&w->st.lock);
	}
}

char *status_sessions_json(struct gateway *gw, size_t *len)
{
	struct buf out = { 0 };
	struct timespec until;
	int first = 1;

	ask(gw, ASK_ROWS, NULL, &until);
	put(&out, "{\"sessions\":[");
	for (int i = 0; i < gw->nworkers; i++) {
		struct worker *w = &gw->workers[i];

		if (!answer(w, &until))
			continue;
		if (w->st.len) {
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
