/* SPDX-License-Identifier: MIT */
#ifndef SG_METRICS_H
#define SG_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "core/hist.h"
#include "fwd/mode.h"
#include "sockgate.h"

/* Clients refused: destinations answered 401 (not allowed, the gateway
 * itself), reset over --max-conns-per-ip, handshakes ended for a newer
 * one, reset over --rate-per-ip; tokens answered 401 for their claims
 * or a revocation (auth/claims.h, auth/revoke.h). The metric's reason
 * label, in this order. */
enum refusal {
	REFUSED_ALLOWLIST,
	REFUSED_SELF,
	REFUSED_PER_IP,
	REFUSED_EVICTED,
	REFUSED_RATE,
	REFUSED_REVOKED,
	REFUSED_CLIENT,
	REFUSED_NOT_BEFORE,
	REFUSED_USED_UP,
	REFUSED_USES_FULL,
	REFUSED_MAX,
};

/* Live sessions ended by an operator: the control socket's kill, a
 * reload's --revoke-live. The metric's by label, in this order. */
enum kill_by { KILL_CONTROL, KILL_REVOKE, KILL_MAX };

/* Process-wide counters, shared by the workers (relaxed atomics). */
struct metrics {
	_Atomic uint64_t accepted;
	_Atomic int64_t active;
	_Atomic int64_t handshaking; /* of those, in the handshake */
	_Atomic uint64_t replies[CODE_MAX];
	_Atomic uint64_t connect_attempts;
	_Atomic uint64_t connect_timeouts;
	_Atomic uint64_t accept_errors;
	_Atomic uint64_t accept_paused;
	_Atomic uint64_t resets;
	_Atomic uint64_t mode_sessions[4];	   /* by enum fwd_mode */
	_Atomic uint64_t edge_sessions[EPATH_MAX]; /* by enum edge_path */
	/* bytes moved: each worker's (struct worker.moved), summed with the
	 * live sessions' at a scrape */
	_Atomic uint64_t episodes[2];  /* sockmap congestion episodes
					    * copied, ended */
	_Atomic uint64_t repeat_bytes; /* retransmitted, kept from going twice */
	_Atomic uint64_t reloads[2];   /* SIGHUP: 0 done, 1 failed */
	_Atomic uint64_t idle_closed;  /* --idle-timeout */
	_Atomic uint64_t age_closed;   /* --max-session-age */
	_Atomic uint64_t refused[REFUSED_MAX]; /* enum refusal */
	_Atomic int64_t rate_entries;	       /* --rate-per-ip's table */
	_Atomic int64_t rate_bytes;
	_Atomic int64_t uses_entries; /* use-limited tokens remembered */
	_Atomic int64_t uses_bytes;
	_Atomic uint64_t killed[KILL_MAX]; /* enum kill_by */
	_Atomic uint64_t promotions[2];	   /* copy sessions moved: 0 to
					 * sockmap (quiet), 1 to splice (busy) */
	_Atomic uint64_t copy_kept; /* checks that left a session on copy */
	struct hist handshake_time; /* accept to 200 (latency buckets) */
	struct hist connect_time;   /* a backend connect's start to done */
	struct hist duration;	    /* a session's life (duration buckets) */
	_Atomic int64_t etcd_registered; /* --etcd: the key is there */
	_Atomic uint64_t etcd_failures;	 /* etcd calls that failed */
	/* the listener migration program's count, in its mapped data
	 * (daemon/reuseport.c); NULL: not loaded */
	const uint64_t *migrated;
};

#define metric_add(field, n) \
	atomic_fetch_add_explicit(&(field), (n), memory_order_relaxed)
#define metric_get(field) atomic_load_explicit(&(field), memory_order_relaxed)

struct gateway;
/* The counters as Prometheus text into out; the length written. */
size_t metrics_render(struct gateway *gw, char *out, size_t max);

#endif
