// SPDX-License-Identifier: MIT
/*
 * The counters in Prometheus text format, for GET /metrics (ctl/http.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/addr.h"
#include "daemon/gateway.h"
#include "core/log.h"
#include "ctl/metrics.h"

/*
 * One row a metric: its name and type, and n values from a field of
 * struct metrics (values first..n-1 of an array), each labelled
 * label="name_of(i)". What is computed rather than counted follows the
 * table in metrics_render().
 */
struct metric_row {
	const char *name, *type, *label;
	size_t off;
	int first, n;
	const char *(*name_of)(int i);
	int is_signed;
};

static const char *code_name(int i)
{
	return sg_code_text((enum sg_code)i);
}

static const char *mode_name(int i)
{
	return fwd_mode_name(i);
}

static const char *edge_path_name(int i)
{
	return edge_path_names[i];
}

#define NAMES(fn, ...)                                          \
	static const char *fn(int i)                            \
	{                                                       \
		static const char *const v[] = { __VA_ARGS__ }; \
		return v[i];                                    \
	}
NAMES(start_end, "start", "end")
NAMES(ok_failed, "ok", "failed")
NAMES(refusal, "allowlist", "self", "per_ip", "handshake_evicted",
      "rate_per_ip", "revoked", "client_bound", "not_yet_valid", "used_up",
      "uses_table_full")
NAMES(kill_by, "control", "revoke")
NAMES(promotion, "sockmap", "splice")

#define F(field) offsetof(struct metrics, field)
#define C(name, field)                                         \
	{                                                      \
		name, "counter", NULL, F(field), 0, 1, NULL, 0 \
	}
#define G(name, field)                                       \
	{                                                    \
		name, "gauge", NULL, F(field), 0, 1, NULL, 1 \
	}
#define L(name, field, label, first, n, fn)                       \
	{                                                         \
		name, "counter", label, F(field), first, n, fn, 0 \
	}

static const struct metric_row rows[] = {
	C("accepted_total", accepted),
	G("sessions_active", active),
	L("replies_total", replies, "code", 0, CODE_MAX, code_name),
	L("sessions_total", mode_sessions, "mode", 1, 4, mode_name),
	L("edge_sessions_total", edge_sessions, "path", 0, EPATH_MAX,
	  edge_path_name),
	C("connect_attempts_total", connect_attempts),
	C("connect_timeouts_total", connect_timeouts),
	C("accept_errors_total", accept_errors),
	C("accept_pauses_total", accept_paused),
	C("resets_total", resets),
	L("sockmap_episodes_total", episodes, "event", 0, 2, start_end),
	C("sockmap_repeat_bytes_total", repeat_bytes),
	L("promotions_total", promotions, "to", 0, 2, promotion),
	C("idle_closed_total", idle_closed),
	C("age_closed_total", age_closed),
	L("reloads_total", reloads, "result", 0, 2, ok_failed),
	L("refused_total", refused, "reason", 0, REFUSED_MAX, refusal),
	G("rate_table_entries", rate_entries),
	G("rate_table_bytes", rate_bytes),
	G("token_uses_entries", uses_entries),
	G("token_uses_bytes", uses_bytes),
	L("killed_total", killed, "by", 0, KILL_MAX, kill_by),
	G("handshakes_active", handshaking),
	G("etcd_registered", etcd_registered),
	C("etcd_failures_total", etcd_failures),
};

struct out {
	char *buf;
	size_t n, max;
};

__attribute__((format(printf, 2, 3))) static void emit(struct out *o,
						       const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(o->buf + o->n, o->max - o->n, fmt, ap);
	va_end(ap);
	if (r > 0 && (size_t)r < o->max - o->n)
		o->n += (size_t)r;
}

static uint64_t value(const struct metrics *m, size_t off, int i)
{
	const _Atomic uint64_t *v =
		(const _Atomic uint64_t *)(const void *)((const char *)m + off);

	return atomic_load_explicit(&v[i], memory_order_relaxed);
}

static void emit_row(struct out *o, const struct metrics *m,
		     const struct metric_row *r)
{
	emit(o, "# TYPE sockgate_%s %s\n", r->name, r->type);
	for (int i = r->first; i < r->n; i++) {
		uint64_t v = value(m, r->off, i);

		emit(o, "sockgate_%s", r->name);
		if (r->label)
			emit(o, "{%s=\"%s\"}", r->label, r->name_of(i));
		if (r->is_signed)
			emit(o, " %lld\n", (long long)v);
		else
			emit(o, " %llu\n", (unsigned long long)v);
	}
}

size_t metrics_render(struct gateway *gw, char *out, size_t max)
{
	struct metrics *m = &gw->m;
	struct out o = { out, 0, max };

	/* the gauge counts what is remembered: drop what expired first */
	uses_sweep(&gw->uses, (uint64_t)time(NULL));
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		emit_row(&o, m, &rows[i]);
	emit(&o,
	     "# TYPE sockgate_bytes_total counter\n"
	     "sockgate_bytes_total{dir=\"up\"} %llu\n"
	     "sockgate_bytes_total{dir=\"down\"} %llu\n",
	     (unsigned long long)metric_get(m->bytes_up),
	     (unsigned long long)metric_get(m->bytes_down));
	/* the same split by who moved them: kernel, the BPF verdict's
	 * redirects; user, our syscalls (copy, splice, sockmap episodes,
	 * the handshake's leftover) */
	emit(&o, "# TYPE sockgate_path_bytes_total counter\n");
	for (int i = 0; i < 2; i++) {
		uint64_t all = i ? metric_get(m->bytes_down) :
				   metric_get(m->bytes_up);
		uint64_t k = metric_get(m->bytes_kernel[i]);

		emit(&o,
		     "sockgate_path_bytes_total{dir=\"%s\",path=\"kernel\"} "
		     "%llu\n"
		     "sockgate_path_bytes_total{dir=\"%s\",path=\"user\"} "
		     "%llu\n",
		     i ? "down" : "up", (unsigned long long)k,
		     i ? "down" : "up",
		     (unsigned long long)(all > k ? all - k : 0));
	}
	/* the listener migration program's own counter (daemon/reuseport.c) */
	emit(&o,
	     "# TYPE sockgate_listener_migrations_total counter\n"
	     "sockgate_listener_migrations_total %llu\n",
	     (unsigned long long)(m->migrated ?
					  __atomic_load_n(m->migrated,
							  __ATOMIC_RELAXED) :
					  0));
	return o.n;
}
