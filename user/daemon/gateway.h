/* SPDX-License-Identifier: MIT */
#ifndef SG_GATEWAY_H
#define SG_GATEWAY_H

#include <pthread.h>
#include <stdatomic.h>

#include <openssl/ssl.h>

#include "daemon/conf.h"
#include "core/budget.h"
#include "core/loop.h"
#include "session/hslog.h"
#include "ctl/metrics.h"
#include "ctl/status.h"
#include "session/session.h"
#include "session/iprate.h"
#include "session/perip.h"
#include "auth/uses.h"
#include "core/pool.h"
#include "auth/selfaddr.h"
#include "core/trim.h"

struct fwd_ops;
struct reuseport;
struct resolver;
struct session;
struct sockmap;

/* One event loop on one thread, with its own listener (or a share of one). */
struct worker {
	struct gateway *gw;
	int id;
	char tag[16];
	pthread_t thread;
	struct evl *loop;
	struct evl_fd lsn; /* listener */
	int lsn_shared;	   /* one socket, EPOLLEXCLUSIVE in every loop */
	int lsn_shared_fd; /* that socket, closed by the main thread */
	int accepting;	   /* lsn is in the epoll set */
	int accept_err;	   /* errno of the failure that paused accepts */
	/* another worker, at --max-conns with clients waiting, holds no
	 * handshake old enough to give way: this one is asked (daemon/worker.c) */
	atomic_int evict_ask;
	struct evl_timer accept_timer;
	struct evl_timer
		burst_timer;   /* a burst of pauses ends: daemon/worker.c */
	unsigned burst_pauses; /* pauses in the current burst */
	struct evl_timer idle_timer; /* --idle-timeout's sweep: session/idle.c */
	struct evl_timer spread_timer; /* --drain-spread: the next ends */
	uint64_t spread_tick_ns;       /* between them */
	unsigned spread_per_tick;      /* sessions ended a tick */
	struct trim trim;	       /* returns freed heap pages */
	struct hslog hslog; /* handshake failures, summed up under load */
	struct evl_fd wake; /* eventfd: the main thread asks us to stop */
	struct resolver *res;
	pthread_mutex_t q_lock; /* congestion events from the main thread */
	uint64_t *q;
	size_t q_len, q_cap;
	struct pool spool;  /* struct session: path_session_size() */
	struct budget bufs; /* large buffers lent: sockmap's episodes,
			     * auto's streams on their way to sockmap */
	/* --buffer bytes every copy session reads into: one keeps a buffer
	 * of its own only while its peer cannot take what it read
	 * (fwd/copy.c) */
	uint8_t *scratch;
	struct sessions ss;	/* session/session.c's */
	uint64_t last_start_ns; /* a session's start: unique in a worker,
				  * with the worker its id */
	/* what its closed sessions moved: up, down, and of those what the
	 * BPF verdict redirected (written by this worker only; the metrics
	 * add the live sessions' on its thread: ctl/status.c) */
	_Atomic uint64_t moved[4];
	unsigned nsessions_seen; /* ss.n at the last check */
	struct status_ask st;	 /* ctl/status.c's */
	int draining;
};

enum gw_stop { GW_RUNNING, GW_DRAIN, GW_FORCE };

struct gateway {
	struct conf conf;
	struct metrics m;
	struct worker *workers;
	int nworkers;
	_Atomic int stop;	   /* enum gw_stop */
	const struct fwd_ops *fwd; /* forwarder chosen at start-up */
	int promote;		   /* auto: sessions start on copy and move */
	enum fwd_mode mode;	   /* its mode */
	int done_fd;		   /* eventfd: a worker has finished */
	struct sockmap *sm;	   /* BPF maps, when the mode is sockmap */
	struct reuseport *rp;	   /* --reuse: the listener migration program */
	/* the live secrets, rules and revocations are conf.secrets,
	 * conf.allow and conf.revoke:
	 * sessions read them under this lock, SIGHUP swaps them under it */
	pthread_rwlock_t keys_lock;
	SSL_CTX *tls; /* --tls-cert: swapped by SIGHUP under keys_lock */
	struct selfaddr self; /* its own listening addresses: never a backend */
	struct perip perip;   /* --max-conns-per-ip */
	struct iprate iprate; /* --rate-per-ip */
	struct uses uses;     /* tokens with a use limit: --token-uses-max */
	struct etcd_reg *etcd; /* --etcd: the registration thread */
};

#endif
