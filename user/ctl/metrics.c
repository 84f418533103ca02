// SPDX-License-Identifier: MIT
/*
 * The counters in Prometheus text format, for GET /metrics (ctl/http.c).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/addr.h"
#include "daemon/gateway.h"
#include "core/log.h"
#include "ctl/metrics.h"
#include "daemon/reuseport.h"

size_t metrics_render(struct gateway *gw, char *out, size_t max)
{
	struct metrics *m = &gw->m;
	size_t n = 0;

#define EMIT(...)                                                 \
	do {                                                      \
		int r_ = snprintf(out + n, max - n, __VA_ARGS__); \
		if (r_ > 0 && (size_t)r_ < max - n)               \
			n += (size_t)r_;                          \
	} while (0)
	EMIT("# TYPE sockgate_accepted_total counter\n"
	     "sockgate_accepted_total %llu\n",
	     (unsigned long long)metric_get(m->accepted));
	EMIT("# TYPE sockgate_sessions_active gauge\n"
	     "sockgate_sessions_active %lld\n",
	     (long long)metric_get(m->active));
	EMIT("# TYPE sockgate_replies_total counter\n");
	for (int i = 0; i < CODE_MAX; i++)
		EMIT("sockgate_replies_total{code=\"%s\"} %llu\n",
		     sg_code_text((enum sg_code)i),
		     (unsigned long long)metric_get(m->replies[i]));
	EMIT("# TYPE sockgate_sessions_total counter\n");
	for (int i = 1; i < 4; i++)
		EMIT("sockgate_sessions_total{mode=\"%s\"} %llu\n",
		     conf_mode_name((enum fwd_mode)i),
		     (unsigned long long)metric_get(m->mode_sessions[i]));
	EMIT("# TYPE sockgate_connect_attempts_total counter\n"
	     "sockgate_connect_attempts_total %llu\n"
	     "# TYPE sockgate_connect_timeouts_total counter\n"
	     "sockgate_connect_timeouts_total %llu\n"
	     "# TYPE sockgate_accept_errors_total counter\n"
	     "sockgate_accept_errors_total %llu\n"
	     "# TYPE sockgate_accept_pauses_total counter\n"
	     "sockgate_accept_pauses_total %llu\n"
	     "# TYPE sockgate_resets_total counter\n"
	     "sockgate_resets_total %llu\n",
	     (unsigned long long)metric_get(m->connect_attempts),
	     (unsigned long long)metric_get(m->connect_timeouts),
	     (unsigned long long)metric_get(m->accept_errors),
	     (unsigned long long)metric_get(m->accept_paused),
	     (unsigned long long)metric_get(m->resets));
	EMIT("# TYPE sockgate_bytes_total counter\n"
	     "sockgate_bytes_total{dir=\"up\"} %llu\n"
	     "sockgate_bytes_total{dir=\"down\"} %llu\n",
	     (unsigned long long)metric_get(m->bytes_up),
	     (unsigned long long)metric_get(m->bytes_down));
	/* the same split by who moved them: kernel, the BPF verdict's
	 * redirects; user, our syscalls (copy, splice, sockmap episodes,
	 * the handshake's leftover) */
	EMIT("# TYPE sockgate_path_bytes_total counter\n");
	for (int i = 0; i < 2; i++) {
		uint64_t all = i ? metric_get(m->bytes_down) :
				   metric_get(m->bytes_up);
		uint64_t k = metric_get(m->bytes_kernel[i]);

		EMIT("sockgate_path_bytes_total{dir=\"%s\",path=\"kernel\"} %llu\n"
		     "sockgate_path_bytes_total{dir=\"%s\",path=\"user\"} %llu\n",
		     i ? "down" : "up", (unsigned long long)k,
		     i ? "down" : "up",
		     (unsigned long long)(all > k ? all - k : 0));
	}
	EMIT("# TYPE sockgate_sockmap_episodes_total counter\n"
	     "sockgate_sockmap_episodes_total{event=\"start\"} %llu\n"
	     "sockgate_sockmap_episodes_total{event=\"end\"} %llu\n",
	     (unsigned long long)metric_get(m->episodes[0]),
	     (unsigned long long)metric_get(m->episodes[1]));
	EMIT("# TYPE sockgate_sockmap_repeat_bytes_total counter\n"
	     "sockgate_sockmap_repeat_bytes_total %llu\n",
	     (unsigned long long)metric_get(m->repeat_bytes));
	EMIT("# TYPE sockgate_promotions_total counter\n"
	     "sockgate_promotions_total{to=\"sockmap\"} %llu\n"
	     "sockgate_promotions_total{to=\"splice\"} %llu\n",
	     (unsigned long long)metric_get(m->promotions[0]),
	     (unsigned long long)metric_get(m->promotions[1]));
	EMIT("# TYPE sockgate_idle_closed_total counter\n"
	     "sockgate_idle_closed_total %llu\n"
	     "# TYPE sockgate_reloads_total counter\n"
	     "sockgate_reloads_total{result=\"ok\"} %llu\n"
	     "sockgate_reloads_total{result=\"failed\"} %llu\n"
	     "# TYPE sockgate_refused_total counter\n"
	     "sockgate_refused_total{reason=\"allowlist\"} %llu\n"
	     "sockgate_refused_total{reason=\"self\"} %llu\n"
	     "sockgate_refused_total{reason=\"per_ip\"} %llu\n"
	     "sockgate_refused_total{reason=\"handshake_evicted\"} %llu\n"
	     "# TYPE sockgate_handshakes_active gauge\n"
	     "sockgate_handshakes_active %lld\n"
	     "# TYPE sockgate_listener_migrations_total counter\n"
	     "sockgate_listener_migrations_total %llu\n"
	     "# TYPE sockgate_etcd_registered gauge\n"
	     "sockgate_etcd_registered %lld\n"
	     "# TYPE sockgate_etcd_failures_total counter\n"
	     "sockgate_etcd_failures_total %llu\n",
	     (unsigned long long)metric_get(m->idle_closed),
	     (unsigned long long)metric_get(m->reloads[0]),
	     (unsigned long long)metric_get(m->reloads[1]),
	     (unsigned long long)metric_get(m->refused[0]),
	     (unsigned long long)metric_get(m->refused[1]),
	     (unsigned long long)metric_get(m->per_ip_resets),
	     (unsigned long long)metric_get(m->evicted),
	     (long long)metric_get(m->handshaking),
	     (unsigned long long)reuseport_migrated(gw->rp),
	     (long long)metric_get(m->etcd_registered),
	     (unsigned long long)metric_get(m->etcd_failures));
#undef EMIT
	return n;
}
