// SPDX-License-Identifier: MIT
/* The control socket: see ctl/control.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "auth/claims.h"
#include "core/log.h"
#include "core/loop.h"
#include "ctl/control.h"
#include "ctl/status.h"
#include "daemon/gateway.h"

struct client {
	struct evl_fd io;
	struct evl_timer timer;
	char in[CONTROL_LINE_MAX + 1];
	size_t len;
	char *out; /* the answer, being written */
	size_t out_len, out_off;
	char who[96];
};

static struct {
	struct gateway *gw;
	struct evl *loop;
	int (*reload)(char *why, size_t len);
	struct evl_fd lsn;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct client *c[CONTROL_CLIENTS];
	double tokens; /* the rate's bucket */
	uint64_t last_ns;
} ctl = { .lsn = { .fd = -1 } };

static void client_free(struct client *c)
{
	for (int i = 0; i < CONTROL_CLIENTS; i++)
		if (ctl.c[i] == c)
			ctl.c[i] = NULL;
	evl_timer_stop(ctl.loop, &c->timer);
	evl_fd_close(ctl.loop, &c->io);
	free(c->out);
	free(c);
}

/* Writes what is left of the answer; frees c when it is all out. */
static void flush(struct client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->io.fd, c->out + c->out_off,
				 c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (evl_fd_set(ctl.loop, &c->io, EPOLLOUT) == 0)
				return;
		}
		if (n <= 0)
			break;
		c->out_off += (size_t)n;
	}
	client_free(c);
}

__attribute__((format(printf, 2, 3))) static void reply(struct client *c,
							const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&c->out, fmt, ap);
	va_end(ap);
	if (n < 0) {
		c->out = NULL;
		client_free(c);
		return;
	}
	c->out_len = (size_t)n;
	flush(c);
}

/* A request of the rate, or 0 over it (a bucket of CONTROL_RATE). */
static int rate_ok(void)
{
	uint64_t now = evl_clock_ns();

	ctl.tokens += (double)(now - ctl.last_ns) * CONTROL_RATE / 1e9;
	if (ctl.tokens > CONTROL_RATE)
		ctl.tokens = CONTROL_RATE;
	ctl.last_ns = now;
	if (ctl.tokens < 1)
		return 0;
	ctl.tokens -= 1;
	return 1;
}

/* "kill ...": the request, or -1 with the reason. */
static int kill_parse(char *arg, struct kill_req *k, const char **why)
{
	char *what = strsep(&arg, " "), *end;

	memset(k, 0, sizeof(*k));
	*why = "kill id WORKER-START, kill client CIDR or kill backend "
	       "CIDR[:PORT]";
	if (!what || !arg || !*arg)
		return -1;
	if (!strcmp(what, "id")) {
		k->by = KILL_ID;
		errno = 0;
		k->worker = (int)strtol(arg, &end, 10);
		if (end == arg || *end != '-' || errno || k->worker < 0)
			return -1;
		arg = end + 1;
		k->start_ns = strtoull(arg, &end, 10);
		return end == arg || *end || errno ? -1 : 0;
	}
	if (!strcmp(what, "client")) {
		k->by = KILL_CLIENT;
		*why = "kill client: not an address or CIDR";
		return claims_client_parse(arg, &k->rule);
	}
	if (!strcmp(what, "backend")) {
		k->by = KILL_BACKEND;
		*why = "kill backend: not CIDR[:PORT] (a live session keeps "
		       "no name)";
		return allow_parse(arg, &k->rule);
	}
	return -1;
}

static void serve(struct client *c, char *line)
{
	struct kill_req k;
	const char *why;
	char *json, err[320];
	size_t len;
	unsigned n;

	if (!strcmp(line, "sessions")) {
		json = status_sessions_json(ctl.gw, &len);
		if (!json) {
			reply(c, "error out of memory\n");
			return;
		}
		c->out = json;
		c->out_len = len;
		flush(c);
	} else if (!strcmp(line, "reload")) {
		log_info("control: reload asked by %s", c->who);
		if (ctl.reload(err, sizeof(err)) < 0)
			reply(c, "error reload failed: %s\n", err);
		else
			reply(c, "ok reloaded\n");
	} else if (!strncmp(line, "kill ", 5)) {
		if (kill_parse(line + 5, &k, &why) < 0) {
			reply(c, "error %s\n", why);
			return;
		}
		k.counter = KILL_CONTROL;
		snprintf(k.who, sizeof(k.who), "%s", c->who);
		n = status_kill(ctl.gw, &k);
		log_info("control: %s by %s: %u session%s ended", line, c->who,
			 n, n == 1 ? "" : "s");
		if (k.by == KILL_ID && n == 0)
			reply(c, "error no such session\n");
		else
			reply(c, "ok killed %u\n", n);
	} else {
		reply(c, "error unknown request (sessions, kill, reload)\n");
	}
}

static void client_cb(struct evl *loop, struct evl_fd *io, uint32_t events)
{
	struct client *c = container_of(io, struct client, io);
	char *nl;
	ssize_t n;

	(void)loop;
	if (c->out) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			flush(c);
		return;
	}
	n = recv(io->fd, c->in + c->len, CONTROL_LINE_MAX - c->len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (n == 0 && c->len)
			reply(c, "error the request has no newline\n");
		else
			client_free(c);
		return;
	}
	c->len += (size_t)n;
	c->in[c->len] = '\0';
	nl = memchr(c->in, '\n', c->len);
	if (!nl && c->len == CONTROL_LINE_MAX) {
		reply(c, "error request longer than %d bytes\n",
		      CONTROL_LINE_MAX);
		return;
	}
	if (!nl)
		return;
	if (memchr(c->in, '\0', (size_t)(nl - c->in))) {
		reply(c, "error a NUL in the request\n");
		return;
	}
	*nl = '\0';
	if (nl > c->in && nl[-1] == '\r')
		nl[-1] = '\0';
	evl_fd_set(ctl.loop, &c->io, 0);
	if (!rate_ok())
		reply(c, "error over %d requests a second: try again\n",
		      CONTROL_RATE);
	else
		serve(c, c->in);
}

static void client_timeout(struct evl *loop, struct evl_timer *t)
{
	struct client *c = container_of(t, struct client, timer);

	(void)loop;
	if (c->out)
		client_free(c);
	else
		reply(c, "error no request within %d s\n", CONTROL_TIMEOUT_S);
}

static void accept_cb(struct evl *loop, struct evl_fd *io, uint32_t events)
{
	struct ucred cr;
	socklen_t crlen = sizeof(cr);
	struct client *c;
	int fd, slot = -1;

	(void)events;
	fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	for (int i = 0; i < CONTROL_CLIENTS && slot < 0; i++)
		if (!ctl.c[i])
			slot = i;
	c = slot >= 0 ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		/* busy: a word, then the door */
		if (send(fd, "error busy\n", 11, MSG_NOSIGNAL | MSG_DONTWAIT) <
		    0)
			log_debug("control: %s", strerror(errno));
		close(fd);
		return;
	}
	ctl.c[slot] = c;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) == 0)
		snprintf(c->who, sizeof(c->who),
			 "control socket (uid %u, pid %ld)", (unsigned)cr.uid,
			 (long)cr.pid);
	else
		snprintf(c->who, sizeof(c->who), "control socket");
	evl_fd_init(&c->io, fd, client_cb);
	evl_timer_init(&c->timer, client_timeout);
	if (evl_fd_set(loop, &c->io, EPOLLIN) < 0 ||
	    evl_timer_start(loop, &c->timer,
			    CONTROL_TIMEOUT_S * 1000000000ull) < 0)
		client_free(c);
}

int control_start(struct gateway *gw, struct evl *loop,
		  int (*reload)(char *why, size_t len), uid_t uid, gid_t gid)
{
	const char *path = gw->conf.control;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* a gone gateway's socket; anything else there is not ours */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			errno = EEXIST;
			return -1;
		}
		unlink(path);
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	old = umask(0177); /* 0600 from the start: no window */
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || (uid != (uid_t)-1 && chown(path, uid, gid) < 0) ||
	    listen(fd, 16) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	ctl.gw = gw;
	ctl.loop = loop;
	ctl.reload = reload;
	ctl.tokens = CONTROL_RATE;
	ctl.last_ns = evl_clock_ns();
	snprintf(ctl.path, sizeof(ctl.path), "%s", path);
	evl_fd_init(&ctl.lsn, fd, accept_cb);
	if (evl_fd_set(loop, &ctl.lsn, EPOLLIN) < 0) {
		int err = errno;

		close(fd);
		unlink(path);
		errno = err;
		return -1;
	}
	return 0;
}

void control_stop(void)
{
	if (ctl.lsn.fd < 0)
		return;
	for (int i = 0; i < CONTROL_CLIENTS; i++)
		if (ctl.c[i])
			client_free(ctl.c[i]);
	evl_fd_close(ctl.loop, &ctl.lsn);
	ctl.lsn.fd = -1;
	unlink(ctl.path);
}
