// SPDX-License-Identifier: MIT
/*
 * sockgate: start-up, listeners, workers, signals, pid file. The main
 * thread owns the signals and the metrics endpoint; workers own sessions.
 */
#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "fwd.h"
#include "gateway.h"
#include "log.h"
#include "relay.h"
#include "resolve.h"
#include "sockmap.h"
#include "worker.h"

static struct gateway gw;
static struct ev_io sig_io, done_io, bpf_io;
static struct ev_timer drain_timer;
static int workers_done;

static int listen_socket(const struct sockaddr *sa, socklen_t len,
			 int reuseport)
{
	int fd = socket(sa->sa_family,
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (reuseport &&
	     setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) ||
	    bind(fd, sa, len) < 0 || listen(fd, SOMAXCONN) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* Listeners for every worker; with reuse each gets its own socket. */
static void open_listeners(int *fds)
{
	struct conf *c = &gw.conf;
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	char addr[SG_ADDR_TEXT];

	fds[0] = listen_socket((struct sockaddr *)&c->listen, c->listen_len,
			       c->reuse);
	if (fds[0] < 0)
		fatal("cannot listen on %s: %s", c->addr, strerror(errno));
	/* port 0: the others must join the port the first one got */
	if (getsockname(fds[0], (struct sockaddr *)&bound, &blen) < 0)
		fatal("getsockname: %s", strerror(errno));
	for (int i = 1; i < gw.nworkers; i++) {
		if (!c->reuse) {
			fds[i] = fds[0];
			continue;
		}
		fds[i] = listen_socket((struct sockaddr *)&bound, blen, 1);
		if (fds[i] < 0)
			fatal("cannot listen on %s (worker %d): %s", c->addr, i,
			      strerror(errno));
	}
	sg_sockaddr_fmt((struct sockaddr *)&bound, addr, sizeof(addr));
	log_info("listening on %s (%d workers, mode %s%s)", addr, gw.nworkers,
		 gw.fwd->name, c->reuse ? ", SO_REUSEPORT" : "");
}

/* The verdict's ring buffer: hand each event to the session's worker. */
static void congestion_event(void *ctx, uint64_t cookie, uint32_t worker)
{
	(void)ctx;
	if (worker < (uint32_t)gw.nworkers)
		worker_post(&gw.workers[worker], cookie);
}

static void bpf_events_cb(struct ev_loop *loop, struct ev_io *w, uint32_t ev)
{
	(void)loop;
	(void)w;
	(void)ev;
	sockmap_events_consume(gw.sm);
}

static void write_pidfile(void)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	int fd = open(gw.conf.pidfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		      0644);

	if (fd < 0 || write(fd, buf, (size_t)n) != n)
		fatal("cannot write pid file %s: %s", gw.conf.pidfile,
		      strerror(errno));
	close(fd);
}

static void wake_all(void)
{
	for (int i = 0; i < gw.nworkers; i++)
		worker_wake(&gw.workers[i]);
}

static void drain_expired(struct ev_loop *loop, struct ev_timer *t)
{
	(void)loop;
	(void)t;
	log_warn("drain timeout: closing the sessions left");
	atomic_store(&gw.stop, GW_FORCE);
	wake_all();
}

static void signal_cb(struct ev_loop *loop, struct ev_io *w, uint32_t events)
{
	struct signalfd_siginfo si;

	(void)events;
	while (read(w->fd, &si, sizeof(si)) == sizeof(si)) {
		if (atomic_load(&gw.stop) != GW_RUNNING) {
			log_warn("signal %u again: exiting now", si.ssi_signo);
			sockmap_unload(gw.sm);
			unlink(gw.conf.pidfile);
			_exit(1);
		}
		log_info("signal %u: draining (at most %.1f s)", si.ssi_signo,
			 (double)gw.conf.drain_timeout_ns / 1e9);
		atomic_store(&gw.stop, GW_DRAIN);
		wake_all();
		/* a shared listener stays open until the workers are gone:
		 * shutting it down refuses new clients now (Linux resets the
		 * queued ones and answers SYNs with RST) */
		if (!gw.conf.reuse)
			shutdown(gw.workers[0].lsn_shared_fd, SHUT_RDWR);
		ev_timer_start(loop, &drain_timer, gw.conf.drain_timeout_ns);
	}
}

static void done_cb(struct ev_loop *loop, struct ev_io *w, uint32_t events)
{
	uint64_t n;

	(void)events;
	if (read(w->fd, &n, sizeof(n)) == sizeof(n))
		workers_done += (int)n;
	if (workers_done >= gw.nworkers)
		ev_break(loop);
}

int main(int argc, char **argv)
{
	struct ev_loop *loop;
	sigset_t mask;
	int *fds;

	conf_parse(&gw.conf, argc, argv);
	/*
	 * A fixed trim threshold: glibc raises it (to twice its mmap
	 * threshold, up to 64 MiB) each time a mapped block is freed, after
	 * which the handshake and copy buffers of many sessions stay
	 * resident once freed. Measured with 9,800 idle sessions that moved
	 * from copy to sockmap: 119 to 1,363 bytes a session, run to run,
	 * without it; 240 to 247 with it.
	 */
	mallopt(M_TRIM_THRESHOLD, 128 * 1024);
	signal(SIGPIPE, SIG_IGN);
	/* every thread inherits this mask: signals arrive only by signalfd */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);

	if (resolver_global_init() < 0)
		fatal("c-ares initialisation failed");
	relay_choose(&gw, congestion_event);
	gw.nworkers = gw.conf.workers;
	gw.workers = calloc((size_t)gw.nworkers, sizeof(*gw.workers));
	fds = calloc((size_t)gw.nworkers, sizeof(*fds));
	loop = ev_loop_new();
	gw.done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!gw.workers || !fds || !loop || gw.done_fd < 0)
		fatal("start-up: %s", strerror(errno));
	open_listeners(fds);
	for (int i = 0; i < gw.nworkers; i++)
		if (worker_init(&gw.workers[i], &gw, i, fds[i],
				!gw.conf.reuse) < 0)
			fatal("worker %d: %s", i, strerror(errno));

	ev_io_init(&sig_io, signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC),
		   signal_cb);
	ev_io_init(&done_io, gw.done_fd, done_cb);
	ev_timer_init(&drain_timer, drain_expired);
	if (sig_io.fd < 0 || ev_io_set(loop, &sig_io, EPOLLIN) < 0 ||
	    ev_io_set(loop, &done_io, EPOLLIN) < 0)
		fatal("signalfd: %s", strerror(errno));
	if (gw.sm) {
		ev_io_init(&bpf_io, sockmap_events_fd(gw.sm), bpf_events_cb);
		if (ev_io_set(loop, &bpf_io, EPOLLIN) < 0)
			fatal("ring buffer epoll: %s", strerror(errno));
	}
	if (gw.conf.pprof && metrics_http_start(&gw, loop) < 0)
		fatal("cannot serve --pprof %s: %s", gw.conf.pprof,
		      strerror(errno));
	for (int i = 0; i < gw.nworkers; i++)
		if (worker_start(&gw.workers[i]) < 0)
			fatal("worker %d: %s", i, strerror(errno));
	write_pidfile();

	if (ev_run(loop) < 0)
		log_error("epoll_wait: %s", strerror(errno));

	for (int i = 0; i < gw.nworkers; i++)
		pthread_join(gw.workers[i].thread, NULL);
	if (!gw.conf.reuse)
		close(fds[0]);
	for (int i = 0; i < gw.nworkers; i++)
		worker_destroy(&gw.workers[i]);
	metrics_http_stop();
	if (gw.sm)
		ev_io_set(loop, &bpf_io, 0);
	sockmap_unload(gw.sm);
	unlink(gw.conf.pidfile);
	log_info("stopped");
	free(gw.workers);
	free(fds);
	close(sig_io.fd);
	close(gw.done_fd);
	ev_loop_free(loop);
	conf_free(&gw.conf);
	return 0;
}
