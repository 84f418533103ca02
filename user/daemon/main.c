// SPDX-License-Identifier: MIT
/*
 * sockgate: start-up, workers, signals (SIGTERM/SIGINT drain, a second
 * one exits at once, SIGHUP reloads), the pid file. The main thread owns
 * the signals and the metrics endpoint; workers own sessions.
 */
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <pwd.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <systemd/sd-daemon.h>

#include "core/addr.h"
#include "fwd/sockmap/bpffs.h"
#include "ctl/etcd_register.h"
#include "daemon/gateway.h"
#include "ctl/http.h"
#include "ctl/control.h"
#include "daemon/listen.h"
#include "core/caps.h"
#include "core/log.h"
#include "core/sock.h"
#include "daemon/pidfile.h"
#include "daemon/conffile.h"
#include "daemon/reload.h"
#include "daemon/privs.h"
#include "fwd/path.h"
#include "session/resolve.h"
#include "daemon/reuseport.h"
#include "fwd/sockmap/sockmap.h"
#include "daemon/worker.h"

static struct gateway gw;
static struct evl_fd sig_io, done_io, bpf_io;
static struct evl_timer drain_timer, pidfile_timer;

#define PIDFILE_RETRY_NS 200000000ull
static int workers_done;

/*
 * Once the listeners are bound and the BPF side is loaded and pinned:
 * --user's uid, only the capabilities the path still needs, no core
 * dumps (the secrets are in memory).
 */
static void drop_privileges(void)
{
	uint64_t keep = gw.sm ? PRIVS_SOCKMAP_CAPS : 0;
	char why[256];

#ifdef SG_TEST_HOOKS
	const char *env = getenv("SOCKGATE_TEST_KEEP_CAPS");

	if (env) /* the tests' probe of what the path needs */
		keep = strtoull(env, NULL, 16);
#endif
	if (gw.conf.user) {
		struct passwd *pw = getpwnam(gw.conf.user);

		/* conf_parse checked the user; it cannot have gone */
		if (!pw)
			fatal("--user %s: no such user", gw.conf.user);
		/* its pins' directory becomes the user's, so that it can
		 * remove them at exit */
		if (gw.sm &&
		    sockmap_give_pins(gw.sm, pw->pw_uid, pw->pw_gid) < 0)
			fatal("--user %s: cannot hand it the pin directory "
			      "%s: %s",
			      gw.conf.user, sockmap_pin_dir(gw.sm),
			      strerror(errno));
		if (privs_drop(gw.conf.user, keep, why, sizeof(why)) < 0)
			fatal("--user %s: %s", gw.conf.user, why);
		log_info("running as %s, capabilities %016llx", gw.conf.user,
			 (unsigned long long)caps_effective());
	}
	privs_nodump();
}

/* The verdict's ring buffer: hand each event to the session's worker. */
static void congestion_event(void *ctx, uint64_t cookie, uint32_t worker)
{
	(void)ctx;
	if (worker < (uint32_t)gw.nworkers)
		worker_post(&gw.workers[worker], cookie);
}

static void bpf_events_cb(struct evl *loop, struct evl_fd *w, uint32_t ev)
{
	(void)loop;
	(void)w;
	(void)ev;
	sockmap_events_consume(gw.sm);
}

/*
 * The pid file: ours at start, or once the live process holding it (the
 * old one of a restart in the same directory) is gone. With --user it is
 * written at start, as root, before the privileges go (the directory may
 * be root's alone), and taken from a live holder at once.
 */
static void pidfile_try(struct evl *loop, struct evl_timer *t)
{
	pid_t holder = 0;
	int take = gw.conf.user != NULL, r;

	if (!gw.conf.pidfile)
		return; /* --pidfile "": a service manager tracks the pid */
	r = pidfile_claim(gw.conf.pidfile, take, &holder);

	if (r < 0)
		fatal("cannot write pid file %s: %s", gw.conf.pidfile,
		      strerror(errno));
	if (r == 0) {
		if (t)
			log_info("pid file %s written", gw.conf.pidfile);
		else if (holder)
			log_info("pid file %s taken from running process %ld "
				 "(--user: written now, while root may)",
				 gw.conf.pidfile, (long)holder);
		return;
	}
	if (!t)
		log_warn("pid file %s belongs to running process %ld: written "
			 "once that exits",
			 gw.conf.pidfile, (long)holder);
	evl_timer_start(loop, &pidfile_timer, PIDFILE_RETRY_NS);
}

/* SIGHUP: the files the configuration names, read again. Live sessions
 * go on; a handshake after this uses the new secrets. */
static void warn_no_rules(void)
{
	if (!gw.conf.allow.n)
		log_warn("no --allow rule: a valid token may name any address "
			 "this host can reach (the gateway's own excepted)");
}

/* --revoke-live: the sessions the new list names end now. */
static void revoke_live(void)
{
	struct kill_req k = { .by = KILL_REVOKED, .counter = KILL_REVOKE };
	unsigned n;

	snprintf(k.who, sizeof(k.who), "a reload (--revoke-live)");
	n = status_kill(&gw, &k);
	log_info("reload: %u live session%s revoked", n, n == 1 ? "" : "s");
}

/* 0, or -1 with why (and the old secrets, rules and revocations stay). */
static int reload_files(char *why, size_t whylen)
{
	struct secrets fresh, old;
	struct allow rules, old_rules;
	struct revoke rv = { 0 }, old_rv;
	size_t n, nr;

	if (conf_load_secrets(&gw.conf, &fresh, why, whylen) < 0) {
		metric_add(gw.m.reloads[1], 1);
		log_error("reload: %s; the %zu secrets loaded before stay", why,
			  gw.conf.secrets.n);
		return -1;
	}
	if (conf_load_allow(&gw.conf, &rules, why, whylen) < 0 ||
	    (gw.conf.revoke_file &&
	     revoke_load(&rv, gw.conf.revoke_file, why, whylen) < 0)) {
		secrets_free(&fresh);
		allow_free(&rules);
		metric_add(gw.m.reloads[1], 1);
		log_error("reload: %s; the %zu secrets, %zu rules and the "
			  "revocations loaded before stay",
			  why, gw.conf.secrets.n, gw.conf.allow.n);
		return -1;
	}
	n = fresh.n;
	nr = rules.n;
	pthread_rwlock_wrlock(&gw.keys_lock);
	old = gw.conf.secrets;
	gw.conf.secrets = fresh;
	old_rules = gw.conf.allow;
	gw.conf.allow = rules;
	old_rv = gw.conf.revoke;
	gw.conf.revoke = rv;
	pthread_rwlock_unlock(&gw.keys_lock);
	secrets_free(&old);
	allow_free(&old_rules);
	revoke_free(&old_rv);
	metric_add(gw.m.reloads[0], 1);
	log_info("reload: %zu secret%s loaded%s, %zu destination rule%s", n,
		 n == 1 ? "" : "s",
		 gw.conf.secret_file ? "" : " (no --secret-file to read)", nr,
		 nr == 1 ? "" : "s");
	if (gw.conf.revoke_file)
		log_info("reload: %zu token id%s, %zu destination%s revoked",
			 rv.nids, rv.nids == 1 ? "" : "s",
			 rv.dest.n + rv.nnames,
			 rv.dest.n + rv.nnames == 1 ? "" : "s");
	warn_no_rules();
	if (gw.conf.revoke_live)
		revoke_live();
	return 0;
}

/* A new certificate for new handshakes; live sessions keep theirs (an
 * SSL holds a reference to its context). */
static int reload_tls(char *why, size_t whylen)
{
	char warn[256];
	SSL_CTX *fresh, *old;

	if (!gw.tls)
		return 0;
	fresh = conf_load_tls(&gw.conf, why, whylen, warn, sizeof(warn));
	if (!fresh) {
		metric_add(gw.m.reloads[1], 1);
		log_error("reload: %s; the certificate loaded before stays",
			  why);
		return -1;
	}
	if (warn[0])
		log_warn("%s", warn);
	pthread_rwlock_wrlock(&gw.keys_lock);
	old = gw.tls;
	gw.tls = fresh;
	pthread_rwlock_unlock(&gw.keys_lock);
	SSL_CTX_free(old);
	log_info("reload: TLS certificate %s loaded", gw.conf.tls_cert);
	return 0;
}

/* --tls-cert and --tls-key at start: a problem is the operator's to fix,
 * so it stops the start (exit 2, as a bad flag). */
static void start_tls(void)
{
	char why[512], warn[256];

	if (!gw.conf.tls_cert)
		return;
	gw.tls = conf_load_tls(&gw.conf, why, sizeof(why), warn, sizeof(warn));
	if (!gw.tls) {
		fprintf(stderr, "sockgate: %s\n", why);
		exit(2);
	}
	if (warn[0])
		log_warn("%s", warn);
	log_info("TLS: %s; clients in clear %s; kernel TLS %s",
		 gw.conf.tls_cert,
		 gw.conf.allow_plain ? "accepted too (--allow-plain)" :
				       "refused (400)",
		 access("/sys/module/tls", F_OK) == 0 ?
			 "loaded (tls.ko): sessions that get it splice" :
			 "not loaded now (the kernel loads tls.ko on first use "
			 "where it has one): user-space TLS otherwise");
	if (gw.conf.mode == MODE_SOCKMAP)
		log_info("TLS sessions never take the sockmap path: a socket "
			 "with the kernel's TLS layer cannot join a sockmap");
}

/* the command line, for a reload of --config (its keys win) */
static char **cli_args;

/* --config read again; its live keys taken. 0, or -1 with why. */
static int reload_config(char *why, size_t whylen)
{
	int r;

	if (!gw.conf.config)
		return 0;
	pthread_rwlock_wrlock(&gw.keys_lock);
	r = conf_file_reload(&gw.conf, conf_opts, cli_args, why, whylen);
	pthread_rwlock_unlock(&gw.keys_lock);
	if (r < 0) {
		metric_add(gw.m.reloads[1], 1);
		log_error("reload: %s; the configuration loaded before stays",
			  why);
		return -1;
	}
	log_min_level = (enum log_level)gw.conf.log_level;
	return 0;
}

/* SIGHUP and the control socket's reload: 0, or -1 with why. */
static int reload(char *why, size_t whylen)
{
	char why2[512];
	int r;

	sd_notify(0, "RELOADING=1");
	if (reload_config(why, whylen) < 0) {
		sd_notify(0, "READY=1");
		return -1;
	}
	r = reload_files(why, whylen);
	if (reload_tls(why2, sizeof(why2)) < 0 && r == 0) {
		snprintf(why, whylen, "%s", why2);
		r = -1;
	}
	sd_notify(0, "READY=1");
	return r;
}

/* Removes our pid file; after --user the directory may not allow it:
 * then it stays, and the next start replaces it (stale). */
static void pidfile_drop(void)
{
	if (gw.conf.pidfile && pidfile_release(gw.conf.pidfile) < 0)
		log_info("pid file %s stays (%s): the next start replaces it",
			 gw.conf.pidfile, strerror(errno));
}

/* A fatal error at start-up: what start-up changed goes. */
static void undo_start(void)
{
	sockmap_unpin(gw.sm);
	pidfile_drop();
	control_stop();
}

/* --control: the socket, its user --user's. */
static void start_control(struct evl *loop)
{
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;

	if (!gw.conf.control)
		return;
	if (gw.conf.user) {
		struct passwd *pw = getpwnam(gw.conf.user);

		if (!pw)
			fatal("--user %s: no such user", gw.conf.user);
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}
	if (control_start(&gw, loop, reload, uid, gid) < 0)
		fatal("cannot serve --control %s: %s", gw.conf.control,
		      strerror(errno));
	log_info("control socket %s (mode 0600%s%s)", gw.conf.control,
		 gw.conf.user ? ", owner " : "",
		 gw.conf.user ? gw.conf.user : "");
}

/*
 * The second signal: exit at once. Every TCP socket gets SO_LINGER 0
 * first, so that the exit resets the sessions: a cut stream must not
 * look complete to either peer, as a FIN would make it.
 */
static void exit_now(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	while (d && (e = readdir(d))) {
		int fd = atoi(e->d_name), type;
		socklen_t len = sizeof(type);

		if (fd > 2 && fd != dirfd(d) &&
		    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
		    type == SOCK_STREAM)
			sock_set_reset(fd);
	}
	if (d)
		closedir(d);
	sockmap_unload(gw.sm);
	pidfile_drop();
	_exit(1);
}

static void wake_all(void)
{
	for (int i = 0; i < gw.nworkers; i++)
		worker_wake(&gw.workers[i]);
}

static void drain_expired(struct evl *loop, struct evl_timer *t)
{
	(void)loop;
	(void)t;
	log_warn("drain timeout: closing the sessions left");
	atomic_store(&gw.stop, GW_FORCE);
	wake_all();
}

static void signal_cb(struct evl *loop, struct evl_fd *w, uint32_t events)
{
	struct signalfd_siginfo si;

	(void)events;
	while (read(w->fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			char why[512];

			reload(why, sizeof(why)); /* it logs what failed */
			continue;
		}
		if (atomic_load(&gw.stop) != GW_RUNNING) {
			log_warn("signal %u again: exiting now, resetting the "
				 "sessions left",
				 si.ssi_signo);
			exit_now();
		}
		/* out of the registry first: issuers stop sending clients
		 * here while the sessions drain */
		etcd_register_stop(gw.etcd);
		gw.etcd = NULL;
		log_info("signal %u: draining (at most %.1f s)", si.ssi_signo,
			 (double)gw.conf.drain_timeout_ns / 1e9);
		atomic_store(&gw.stop, GW_DRAIN);
		sd_notify(0, "STOPPING=1");
		wake_all();
		/* a shared listener stays open until the workers are gone:
		 * shutting it down refuses new clients now (Linux resets the
		 * queued ones and answers SYNs with RST) */
		if (!gw.conf.reuse)
			shutdown(gw.workers[0].lsn_shared_fd, SHUT_RDWR);
		evl_timer_start(loop, &drain_timer, gw.conf.drain_timeout_ns);
	}
}

/* --etcd: the address to register, --advertise or the bound one. */
static void etcd_begin(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char adv[SG_ADDR_TEXT];

	if (!gw.conf.etcd)
		return;
	if (gw.conf.advertise)
		snprintf(adv, sizeof(adv), "%s", gw.conf.advertise);
	else if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		sg_sockaddr_fmt((struct sockaddr *)&ss, adv, sizeof(adv));
	else
		fatal("--etcd: getsockname: %s", strerror(errno));
	gw.etcd = etcd_register_start(&gw, adv);
	if (!gw.etcd)
		fatal("--etcd: cannot start the registration");
}

static void done_cb(struct evl *loop, struct evl_fd *w, uint32_t events)
{
	uint64_t n;

	(void)events;
	if (read(w->fd, &n, sizeof(n)) == sizeof(n))
		workers_done += (int)n;
	if (workers_done >= gw.nworkers)
		evl_stop(loop);
}

int main(int argc, char **argv)
{
	struct evl *loop;
	sigset_t mask;
	int *fds;

	conf_parse(&gw.conf, argc, argv);
	cli_args = argv + 1;
	start_tls();
	if (!gw.conf.ws_origins)
		log_warn(
			"no --ws-origin: a WebSocket client may come from a page "
			"of any origin");
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
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);

	if (resolver_global_init() < 0)
		fatal("c-ares initialisation failed");
	if (gw.conf.etcd && curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		fatal("libcurl initialisation failed");
	pthread_rwlock_init(&gw.keys_lock, NULL);
	/* 64 Ki entries, 2 MiB: addresses idle longest give way */
	if (iprate_init(&gw.iprate, (uint32_t)gw.conf.rate_per_ip, 65536,
			&gw.m.rate_entries) < 0)
		fatal("start-up: out of memory");
	gw.m.rate_bytes = (int64_t)iprate_bytes(&gw.iprate);
	if (uses_init(&gw.uses, (size_t)gw.conf.token_uses_max,
		      &gw.m.uses_entries) < 0)
		fatal("start-up: out of memory");
	gw.m.uses_bytes = (int64_t)uses_bytes(&gw.uses);
	if (perip_init(&gw.perip, (unsigned)gw.conf.max_conns_per_ip) < 0)
		fatal("start-up: out of memory");
	warn_no_rules();
	gw.nworkers = gw.conf.workers;
	gw.workers = calloc((size_t)gw.nworkers, sizeof(*gw.workers));
	fds = calloc((size_t)gw.nworkers, sizeof(*fds));
	loop = evl_new();
	gw.done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!gw.workers || !fds || !loop || gw.done_fd < 0)
		fatal("start-up: %s", strerror(errno));
	/*
	 * What can fail for a reason the operator must fix comes before
	 * anything outlives the process: the ports, then (with --user) the
	 * pid file, then the BPF side and its pins; a fatal error after
	 * that undoes them.
	 */
	listen_open(&gw, fds);
	if (gw.conf.pprof && http_start(&gw, loop) < 0)
		fatal("cannot serve --pprof %s: %s", gw.conf.pprof,
		      strerror(errno));
	log_on_fatal(undo_start);
	start_control(loop);
	if (gw.conf.user)
		pidfile_try(loop, NULL);
	/* a gone gateway's pins, whatever mode this one runs */
	bpffs_clean_stale(gw.conf.bpf_pin_dir);
	path_choose(&gw, congestion_event);
	listen_announce(&gw, fds[0]);
	for (int i = 0; i < gw.nworkers; i++)
		if (worker_init(&gw.workers[i], &gw, i, fds[i],
				!gw.conf.reuse) < 0)
			fatal("worker %d: %s", i, strerror(errno));

	evl_fd_init(&sig_io, signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC),
		    signal_cb);
	evl_fd_init(&done_io, gw.done_fd, done_cb);
	evl_timer_init(&drain_timer, drain_expired);
	evl_timer_init(&pidfile_timer, pidfile_try);
	if (sig_io.fd < 0 || evl_fd_set(loop, &sig_io, EPOLLIN) < 0 ||
	    evl_fd_set(loop, &done_io, EPOLLIN) < 0)
		fatal("signalfd: %s", strerror(errno));
	if (gw.sm) {
		evl_fd_init(&bpf_io, sockmap_events_fd(gw.sm), bpf_events_cb);
		if (evl_fd_set(loop, &bpf_io, EPOLLIN) < 0)
			fatal("ring buffer epoll: %s", strerror(errno));
	}
	drop_privileges();
	for (int i = 0; i < gw.nworkers; i++)
		if (worker_start(&gw.workers[i]) < 0)
			fatal("worker %d: %s", i, strerror(errno));
	etcd_begin(fds[0]);
	if (!gw.conf.user)
		pidfile_try(loop, NULL);
	log_info("ready: pid %ld", (long)getpid());
	/* Type=notify: the service is up once it accepts (no-op elsewhere) */
	sd_notify(0, "READY=1");

	if (evl_run(loop) < 0)
		log_error("epoll_wait: %s", strerror(errno));

	for (int i = 0; i < gw.nworkers; i++)
		pthread_join(gw.workers[i].thread, NULL);
	if (!gw.conf.reuse)
		close(fds[0]);
	for (int i = 0; i < gw.nworkers; i++)
		worker_destroy(&gw.workers[i]);
	etcd_register_stop(gw.etcd);
	http_stop();
	control_stop();
	if (gw.sm)
		evl_fd_set(loop, &bpf_io, 0);
	sockmap_unload(gw.sm);
	gw.m.migrated = NULL;
	reuseport_unload(gw.rp);
	pidfile_drop();
	log_info("stopped");
	free(gw.workers);
	free(fds);
	close(sig_io.fd);
	close(gw.done_fd);
	evl_free(loop);
	pthread_rwlock_destroy(&gw.keys_lock);
	conf_free(&gw.conf);
	SSL_CTX_free(gw.tls);
	iprate_fini(&gw.iprate);
	uses_fini(&gw.uses);
	if (gw.conf.etcd)
		curl_global_cleanup();
	return 0;
}
