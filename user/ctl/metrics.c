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
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/addr.h"
#include "daemon/gateway.h"
#include "core/log.h"
#include "ctl/metrics.h"
#include "ctl/status.h"

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
	const char *help;
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
#define C(name, field, help)                                         \
	{                                                            \
		name, "counter", NULL, F(field), 0, 1, NULL, 0, help \
	}
#define G(name, field, help)                                       \
	{                                                          \
		name, "gauge", NULL, F(field), 0, 1, NULL, 1, help \
	}
#define L(name, field, label, first, n, fn, help)                       \
	{                                                               \
		name, "counter", label, F(field), first, n, fn, 0, help \
	}

static const struct metric_row rows[] = {
	C("accepted_total", accepted, "Client connections accepted."),
	G("sessions_active", active, "Sessions open now, handshakes included."),
	L("replies_total", replies, "code", 0, CODE_MAX, code_name,
	  "Status replies sent to clients, by code."),
	L("sessions_total", mode_sessions, "mode", 1, 4, mode_name,
	  "Sessions that started forwarding, by the path they started on."),
	L("edge_sessions_total", edge_sessions, "path", 0, EPATH_MAX,
	  edge_path_name,
	  "TLS and WebSocket sessions that started forwarding, by path."),
	C("connect_attempts_total", connect_attempts,
	  "Backend connects started."),
	C("connect_timeouts_total", connect_timeouts,
	  "Backend connects that timed out."),
	C("accept_errors_total", accept_errors, "accept() failures."),
	C("accept_pauses_total", accept_paused,
	  "Times accepting paused (out of fds or memory)."),
	C("resets_total", resets, "Sessions ended with RST."),
	L("sockmap_episodes_total", episodes, "event", 0, 2, start_end,
	  "Sockmap congestion episodes copied in user space, started and "
	  "ended."),
	C("sockmap_repeat_bytes_total", repeat_bytes,
	  "Retransmitted bytes kept from being forwarded twice."),
	L("promotions_total", promotions, "to", 0, 2, promotion,
	  "Mode auto's sessions moved from copy, by destination path."),
	C("copy_kept_total", copy_kept,
	  "Mode auto's checks that left a session on copy, idle or chatty "
	  "(a read that fills a buffer has it checked again)."),
	C("idle_closed_total", idle_closed,
	  "Sessions closed by --idle-timeout."),
	C("age_closed_total", age_closed,
	  "Sessions closed by --max-session-age."),
	L("reloads_total", reloads, "result", 0, 2, ok_failed,
	  "Reloads (SIGHUP or the control socket), by result."),
	L("refused_total", refused, "reason", 0, REFUSED_MAX, refusal,
	  "Clients refused by policy, by reason."),
	G("rate_table_entries", rate_entries,
	  "Client addresses in the --rate-per-ip table."),
	G("rate_table_bytes", rate_bytes, "Bytes of the --rate-per-ip table."),
	G("token_uses_entries", uses_entries,
	  "Use-limited tokens remembered until they expire."),
	G("token_uses_bytes", uses_bytes, "Bytes of the use table."),
	L("killed_total", killed, "by", 0, KILL_MAX, kill_by,
	  "Live sessions ended by an operator, by how."),
	G("handshakes_active", handshaking, "Handshakes in progress now."),
};

/* only with --etcd */
static const struct metric_row etcd_rows[] = {
	G("etcd_registered", etcd_registered,
	  "1 while the gateway's key is registered in etcd."),
	C("etcd_failures_total", etcd_failures, "etcd calls that failed."),
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
	emit(o, "# HELP sockgate_%s %s\n# TYPE sockgate_%s %s\n", r->name,
	     r->help, r->name, r->type);
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

static void emit_hist(struct out *o, const char *name, const char *help,
		      const struct hist *h, const uint64_t *bounds)
{
	uint64_t cum = 0;

	emit(o, "# HELP sockgate_%s %s\n# TYPE sockgate_%s histogram\n", name,
	     help, name);
	for (int i = 0; i <= HIST_BUCKETS; i++) {
		cum += metric_get(h->n[i]);
		if (i < HIST_BUCKETS)
			emit(o, "sockgate_%s_bucket{le=\"%g\"} %llu\n", name,
			     (double)bounds[i] / 1e9, (unsigned long long)cum);
		else
			emit(o, "sockgate_%s_bucket{le=\"+Inf\"} %llu\n", name,
			     (unsigned long long)cum);
	}
	emit(o, "sockgate_%s_sum %.9f\nsockgate_%s_count %llu\n", name,
	     (double)metric_get(h->sum_ns) / 1e9, name,
	     (unsigned long long)cum);
}

size_t metrics_render(struct gateway *gw, char *out, size_t max)
{
	struct metrics *m = &gw->m;
	struct out o = { out, 0, max };

	uint64_t b[4] = { 0 }; /* up, down; of them the kernel's */
	unsigned long long fd_cap = 0;
	struct rlimit rl;

	/* the gauge counts what is remembered: drop what expired first */
	uses_sweep(&gw->uses, (uint64_t)time(NULL));
	emit(&o,
	     "# HELP sockgate_build_info The running version and mode.\n"
	     "# TYPE sockgate_build_info gauge\n"
	     "sockgate_build_info{version=\"%s\",mode=\"%s\"} 1\n",
	     SG_VERSION, fwd_mode_name(gw->conf.mode));
	/* what the alert rules compare with (dist/sockgate.rules.yml) */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		fd_cap = (unsigned long long)rl.rlim_cur / 2;
	emit(&o,
	     "# HELP sockgate_max_conns Sessions taken at once: --max-conns, "
	     "else half the fd limit (two sockets a session).\n"
	     "# TYPE sockgate_max_conns gauge\n"
	     "sockgate_max_conns %llu\n"
	     "# HELP sockgate_sockmap_loaded 1 when the kernel path's BPF "
	     "program is loaded (mode auto without it falls back).\n"
	     "# TYPE sockgate_sockmap_loaded gauge\n"
	     "sockgate_sockmap_loaded %d\n",
	     gw->conf.max_conns ? (unsigned long long)gw->conf.max_conns :
				  fd_cap,
	     gw->sm != NULL);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		emit_row(&o, m, &rows[i]);
	for (size_t i = 0; gw->conf.etcd && i < 2; i++)
		emit_row(&o, m, &etcd_rows[i]);
	emit_hist(&o, "handshake_seconds",
		  "From accept to the 200 sent (connect included).",
		  &m->handshake_time, hist_latency);
	emit_hist(&o, "connect_seconds",
		  "Backend connects, from the first attempt to connected.",
		  &m->connect_time, hist_latency);
	emit_hist(&o, "session_duration_seconds",
		  "Sessions' lives, from accept to close.", &m->duration,
		  hist_duration);
	/* what live sessions moved so far too, the kernel's counters read
	 * now: a long session is not a flat line and then a spike */
	status_bytes(gw, b);
	emit(&o,
	     "# HELP sockgate_bytes_total Bytes forwarded, by direction "
	     "(up: client to backend).\n"
	     "# TYPE sockgate_bytes_total counter\n"
	     "sockgate_bytes_total{dir=\"up\"} %llu\n"
	     "sockgate_bytes_total{dir=\"down\"} %llu\n",
	     (unsigned long long)b[0], (unsigned long long)b[1]);
	/* the same split by who moved them: kernel, the BPF verdict's
	 * redirects; user, our syscalls (copy, splice, sockmap episodes,
	 * the handshake's leftover) */
	emit(&o, "# HELP sockgate_path_bytes_total Bytes forwarded, by "
		 "direction and by who moved them.\n"
		 "# TYPE sockgate_path_bytes_total counter\n");
	for (int i = 0; i < 2; i++) {
		uint64_t all = b[i], k = b[2 + i];

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
	     "# HELP sockgate_listener_migrations_total Connections moved "
	     "between listeners by the --reuse migration program.\n"
	     "# TYPE sockgate_listener_migrations_total counter\n"
	     "sockgate_listener_migrations_total %llu\n",
	     (unsigned long long)(m->migrated ?
					  __atomic_load_n(m->migrated,
							  __ATOMIC_RELAXED) :
					  0));
	return o.n;
}
