// SPDX-License-Identifier: MIT
/* The listening sockets: see daemon/listen.h. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/addr.h"
#include "fwd/fwd.h"
#include "daemon/gateway.h"
#include "daemon/listen.h"
#include "core/log.h"
#include "core/sock.h"
#include "daemon/reuseport.h"

/*
 * A listener for c. Its options pass to the clients it accepts, which
 * saves six setsockopt() calls a session: TCP_NODELAY and keepalive
 * (core/sock.h). TCP_DEFER_ACCEPT: a client is accepted once its first
 * bytes are there, so that one wake-up accepts, reads and decrypts.
 */
static int listen_socket(const struct conf *c, const struct sockaddr *sa,
			 socklen_t len, int reuseport)
{
	int fd = socket(sa->sa_family,
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0)
		return -1;
	if (sock_tune(fd, c->keepalive.idle, c->keepalive.interval,
		      c->keepalive.count) < 0 ||
	    (c->defer_accept &&
	     setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &c->defer_accept,
			sizeof(c->defer_accept)) < 0) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
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

/* The migration program for the group, or the reason there is none. */
static void migration_setup(struct gateway *gw)
{
	char why[256];

	gw->rp = reuseport_load(why, sizeof(why));
	gw->m.migrated = reuseport_counter(gw->rp);
	if (gw->rp)
		return;
	if (reuseport_sysctl() == 1)
		log_info("--reuse: the listener migration program is "
			 "unavailable (%s); net.ipv4.tcp_migrate_req=1 moves "
			 "a closing listener's clients instead",
			 why);
	else
		log_warn("--reuse: the listener migration program is "
			 "unavailable (%s) and net.ipv4.tcp_migrate_req is 0: "
			 "when this process stops, clients waiting in its "
			 "accept queues are reset",
			 why);
}

void listen_open(struct gateway *gw, int *fds)
{
	struct conf *c = &gw->conf;
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);

	if (c->reuse)
		migration_setup(gw);
	fds[0] = listen_socket(c, (struct sockaddr *)&c->listen, c->listen_len,
			       c->reuse);
	if (fds[0] < 0)
		fatal("cannot listen on %s: %s", c->addr, strerror(errno));
	/* port 0: the others must join the port the first one got */
	if (getsockname(fds[0], (struct sockaddr *)&bound, &blen) < 0)
		fatal("getsockname: %s", strerror(errno));
	for (int i = 1; i < gw->nworkers; i++) {
		if (!c->reuse) {
			fds[i] = fds[0];
			continue;
		}
		fds[i] = listen_socket(c, (struct sockaddr *)&bound, blen, 1);
		if (fds[i] < 0)
			fatal("cannot listen on %s (worker %d): %s", c->addr, i,
			      strerror(errno));
	}
	/* the program is the group's: one attach covers every member, and
	 * replaces an older process's */
	if (gw->rp && reuseport_attach(gw->rp, fds[0]) < 0) {
		log_warn("--reuse: cannot attach the listener migration "
			 "program: %s",
			 strerror(errno));
		reuseport_unload(gw->rp);
		gw->rp = NULL;
		gw->m.migrated = NULL;
	}
	selfaddr_add(&gw->self, (struct sockaddr *)&bound);
}

void listen_announce(const struct gateway *gw, int fd)
{
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	char addr[SG_ADDR_TEXT] = "?", mode[64];

	if (getsockname(fd, (struct sockaddr *)&bound, &blen) == 0)
		sg_sockaddr_fmt((struct sockaddr *)&bound, addr, sizeof(addr));
	/* auto names its choice, not the copy its sessions start on */
	if (gw->conf.mode != MODE_AUTO)
		snprintf(mode, sizeof(mode), "%s", gw->fwd->name);
	else if (gw->promote)
		snprintf(mode, sizeof(mode),
			 "auto: copy, then sockmap or splice");
	else
		snprintf(mode, sizeof(mode), "auto: %s", gw->fwd->name);
	log_info("listening on %s (%d workers, mode %s%s)", addr, gw->nworkers,
		 mode,
		 !gw->conf.reuse ? "" :
		 gw->rp ? ", SO_REUSEPORT, restarts move waiting clients" :
			  ", SO_REUSEPORT");
}
