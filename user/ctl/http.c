// SPDX-License-Identifier: MIT
/* The metrics and status endpoint: see ctl/http.h. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "core/addr.h"
#include "daemon/gateway.h"
#include "ctl/http.h"
#include "core/log.h"
#include "core/sock.h"
#include "ctl/metrics.h"
#include "ctl/status.h"

#define HTTP_CONN_LIMIT 64
#define HTTP_PER_IP_LIMIT 16
#define HTTP_TIMEOUT_S 5
#define METRICS_MAX (64 << 10)

static struct MHD_Daemon *d;
static struct gateway *h_gw;
static struct evl *h_loop;
static struct evl_fd h_io = { .fd = -1 };
static struct evl_fd h_lsn = { .fd = -1 };
static struct evl_timer h_timer, h_retry;
static int h_paused;

/*
 * A client has HTTP_TIMEOUT_S to send a whole request (and, on a kept
 * connection, the next one after a response): MHD's own timeout is an
 * idle one, which a byte every few seconds resets, so that 64 such
 * clients would hold every slot. pump() shuts those past their deadline
 * down; MHD then sees the end and closes them.
 */
struct hconn {
	struct hconn *prev, *next;
	int fd;
	int answered; /* the handler has its request */
	uint64_t deadline_ns;
};
static struct hconn h_conns = { &h_conns, &h_conns, -1, 0, 0 };

static void request_due(struct hconn *h)
{
	h->answered = 0;
	h->deadline_ns = evl_now(h_loop) + HTTP_TIMEOUT_S * 1000000000ull;
}

static void notify_conn(void *cls, struct MHD_Connection *c, void **ctx,
			enum MHD_ConnectionNotificationCode toe)
{
	const union MHD_ConnectionInfo *ci;
	struct hconn *h = *ctx;

	(void)cls;
	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (h) {
			h->prev->next = h->next;
			h->next->prev = h->prev;
			free(h);
			*ctx = NULL;
		}
		return;
	}
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	h = ci ? calloc(1, sizeof(*h)) : NULL;
	if (!h)
		return; /* MHD's idle timeout still applies */
	h->fd = ci->connect_fd;
	request_due(h);
	h->next = &h_conns;
	h->prev = h_conns.prev;
	h_conns.prev->next = h;
	h_conns.prev = h;
	*ctx = h;
}

/* A response sent: the next request on the connection is due. */
static void notify_done(void *cls, struct MHD_Connection *c, void **state,
			enum MHD_RequestTerminationCode toe)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	(void)cls;
	(void)state;
	(void)toe;
	if (ci && ci->socket_context)
		request_due(ci->socket_context);
}

static void cut_late_requests(void)
{
	uint64_t now = evl_now(h_loop);

	for (struct hconn *h = h_conns.next; h != &h_conns; h = h->next)
		if (!h->answered && now > h->deadline_ns) {
			h->answered = 1; /* once */
			log_debug("metrics endpoint: no whole request in %d s: "
				  "closing",
				  HTTP_TIMEOUT_S);
			shutdown(h->fd, SHUT_RDWR);
		}
}

/* The status page: inline styles and script, nothing fetched from
 * elsewhere; it reads /sessions.json and /metrics once a second and
 * writes text with textContent only, so nothing in them is markup. */
static const char page[] =
#include "status_page.h"
	;

static enum MHD_Result answer(struct MHD_Connection *c, unsigned code,
			      const char *type, void *body, size_t len,
			      enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(
		r, "Content-Security-Policy",
		"default-src 'none'; script-src 'unsafe-inline'; "
		"style-src 'unsafe-inline'; connect-src 'self'; "
		"img-src 'self'");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c,
			       const char *url, const char *method,
			       const char *version, const char *data,
			       size_t *data_len, void **state)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	(void)cls;
	(void)version;
	(void)data;
	(void)state;
	if (ci && ci->socket_context)
		((struct hconn *)ci->socket_context)->answered = 1;
	if (*data_len)
		return MHD_NO; /* no bodies here */
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return answer(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
			      (void *)"GET only\n", 9, MHD_RESPMEM_PERSISTENT);
	if (!strcmp(url, "/metrics")) {
		char *out = malloc(METRICS_MAX);

		if (!out)
			return MHD_NO;
		return answer(c, MHD_HTTP_OK, "text/plain; version=0.0.4", out,
			      metrics_render(h_gw, out, METRICS_MAX),
			      MHD_RESPMEM_MUST_FREE);
	}
	/* for load balancers: 503 once the gateway drains */
	if (!strcmp(url, "/healthz"))
		return atomic_load(&h_gw->stop) == GW_RUNNING ?
			       answer(c, MHD_HTTP_OK, "text/plain",
				      (void *)"ready\n", 6,
				      MHD_RESPMEM_PERSISTENT) :
			       answer(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				      "text/plain", (void *)"draining\n", 9,
				      MHD_RESPMEM_PERSISTENT);
	if (!strcmp(url, "/sessions.json")) {
		size_t len;
		char *json = status_sessions_json(h_gw, &len);

		if (!json)
			return MHD_NO;
		return answer(c, MHD_HTTP_OK, "application/json", json, len,
			      MHD_RESPMEM_MUST_FREE);
	}
	if (!strcmp(url, "/"))
		return answer(c, MHD_HTTP_OK, "text/html; charset=utf-8",
			      (void *)page, sizeof(page) - 1,
			      MHD_RESPMEM_PERSISTENT);
	return answer(c, MHD_HTTP_NOT_FOUND, "text/plain",
		      (void *)"not found\n", 10, MHD_RESPMEM_PERSISTENT);
}

/* Runs what is ready, then sleeps until MHD's next deadline. */
static void pump(void)
{
	MHD_UNSIGNED_LONG_LONG ms = 1000;

	cut_late_requests();
	MHD_run(d);
	if (MHD_get_timeout(d, &ms) != MHD_YES || ms > 1000)
		ms = 1000;
	evl_timer_start(h_loop, &h_timer, (uint64_t)ms * 1000000ull);
}

static void io_cb(struct evl *loop, struct evl_fd *w, uint32_t events)
{
	(void)loop;
	(void)w;
	(void)events;
	pump();
}

static void timer_cb(struct evl *loop, struct evl_timer *t)
{
	(void)loop;
	(void)t;
	pump();
}

/*
 * Our own accepts, handed to MHD: when they fail for want of fds the
 * listener waits 100 ms instead of staying readable (MHD's own accept
 * loop spins there while it has no connection it could close).
 */
static void lsn_cb(struct evl *loop, struct evl_fd *w, uint32_t events)
{
	(void)events;
	for (int i = 0; i < 16; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(w->fd, (struct sockaddr *)&ss, &len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				if (!h_paused)
					log_warn(
						"metrics endpoint: accept: %s: "
						"pausing it",
						strerror(errno));
				h_paused = 1;
				evl_fd_set(loop, w, 0);
				evl_timer_start(loop, &h_retry,
						ACCEPT_RETRY_NS);
			}
			break;
		}
		h_paused = 0;
		/* at its connection limit MHD closes it: the endpoint
		 * holds a bounded number */
		MHD_add_connection(d, fd, (struct sockaddr *)&ss, len);
	}
	pump();
}

static void retry_cb(struct evl *loop, struct evl_timer *t)
{
	(void)t;
	evl_fd_set(loop, &h_lsn, EPOLLIN);
}

static int wildcard(const struct sockaddr_storage *ss)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;

	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == 0;
	return !memcmp(&((const struct sockaddr_in6 *)ss)->sin6_addr, &any6,
		       sizeof(any6));
}

int http_start(struct gateway *gw, struct evl *loop)
{
	struct sockaddr_storage ss;
	socklen_t len;
	const union MHD_DaemonInfo *info;
	char a[SG_ADDR_TEXT];
	int fd, one = 1;

	if (sg_addr_parse(gw->conf.pprof, &ss, &len) < 0) {
		errno = EINVAL;
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		close(fd);
		return -1;
	}
	h_gw = gw;
	h_loop = loop;
	d = MHD_start_daemon(
		MHD_USE_EPOLL | MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL,
		handler, NULL, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)HTTP_CONN_LIMIT, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned)HTTP_PER_IP_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)HTTP_TIMEOUT_S, MHD_OPTION_NOTIFY_CONNECTION,
		notify_conn, NULL, MHD_OPTION_NOTIFY_COMPLETED, notify_done,
		NULL, MHD_OPTION_END);
	info = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
	if (!info) {
		if (d)
			MHD_stop_daemon(d);
		d = NULL;
		close(fd);
		errno = EIO;
		return -1;
	}
	evl_fd_init(&h_io, info->epoll_fd, io_cb);
	evl_timer_init(&h_timer, timer_cb);
	evl_fd_init(&h_lsn, fd, lsn_cb);
	evl_timer_init(&h_retry, retry_cb);
	if (evl_fd_set(loop, &h_io, EPOLLIN) < 0 ||
	    evl_fd_set(loop, &h_lsn, EPOLLIN) < 0) {
		http_stop();
		return -1;
	}
	pump();
	selfaddr_add(&gw->self, (struct sockaddr *)&ss);
	sg_sockaddr_fmt((struct sockaddr *)&ss, a, sizeof(a));
	log_info("metrics on http://%s/metrics", a);
	if (wildcard(&ss))
		log_warn("--pprof %s listens on every address: its status page "
			 "shows every session's addresses; bind it to loopback "
			 "or a private network",
			 a);
	return 0;
}

void http_stop(void)
{
	if (!d)
		return;
	evl_timer_stop(h_loop, &h_timer);
	evl_timer_stop(h_loop, &h_retry);
	evl_fd_set(h_loop, &h_io, 0);
	if (h_lsn.fd >= 0) {
		evl_fd_set(h_loop, &h_lsn, 0);
		close(h_lsn.fd);
		h_lsn.fd = -1;
	}
	MHD_stop_daemon(d);
	d = NULL;
}
