// SPDX-License-Identifier: MIT
/*
 * The --pprof endpoint: a minimal HTTP/1.0 server on the main thread.
 * GET /metrics answers the counters in Prometheus text format; anything
 * else 404. One read, one write, close: requests are tiny.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "gateway.h"
#include "log.h"
#include "metrics.h"
#include "reuseport.h"

struct http_conn {
	struct ev_io io;
	struct ev_timer timer;
	size_t len;
	char req[2048];
};

static struct gateway *m_gw;
static struct ev_loop *m_loop;
static struct ev_io m_lsn = { .fd = -1 };

static void http_close(struct http_conn *c)
{
	ev_io_set(m_loop, &c->io, 0);
	ev_timer_stop(m_loop, &c->timer);
	close(c->io.fd);
	free(c);
}

static size_t render(char *out, size_t max)
{
	struct metrics *m = &m_gw->m;
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
	     "sockgate_listener_migrations_total %llu\n",
	     (unsigned long long)metric_get(m->idle_closed),
	     (unsigned long long)metric_get(m->reloads[0]),
	     (unsigned long long)metric_get(m->reloads[1]),
	     (unsigned long long)metric_get(m->refused[0]),
	     (unsigned long long)metric_get(m->refused[1]),
	     (unsigned long long)metric_get(m->per_ip_resets),
	     (unsigned long long)metric_get(m->evicted),
	     (long long)metric_get(m->handshaking),
	     (unsigned long long)reuseport_migrated(m_gw->rp));
#undef EMIT
	return n;
}

static void http_answer(struct http_conn *c)
{
	char body[4096], head[160], *resp;
	size_t blen = 0, hlen;
	const char *status = "404 Not Found";

	if (strncmp(c->req, "GET /metrics ", 13) == 0 ||
	    strncmp(c->req, "GET / ", 6) == 0) {
		status = "200 OK";
		blen = render(body, sizeof(body));
	}
	hlen = (size_t)snprintf(head, sizeof(head),
				"HTTP/1.0 %s\r\nContent-Type: text/plain; "
				"version=0.0.4\r\nContent-Length: %zu\r\n"
				"Connection: close\r\n\r\n",
				status, blen);
	resp = malloc(hlen + blen);
	if (resp) {
		memcpy(resp, head, hlen);
		memcpy(resp + hlen, body, blen);
		/* a fresh socket's send buffer holds a few KiB: one send */
		if (send(c->io.fd, resp, hlen + blen, MSG_NOSIGNAL) < 0)
			log_debug("metrics: send: %s", strerror(errno));
		free(resp);
	}
	http_close(c);
}

static void http_read(struct ev_loop *loop, struct ev_io *w, uint32_t events)
{
	struct http_conn *c = container_of(w, struct http_conn, io);
	ssize_t n;

	(void)loop;
	(void)events;
	n = read(w->fd, c->req + c->len, sizeof(c->req) - 1 - c->len);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			http_close(c);
		return;
	}
	c->len += (size_t)n;
	c->req[c->len] = '\0';
	if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n") ||
	    c->len == sizeof(c->req) - 1)
		http_answer(c);
}

static void http_timeout(struct ev_loop *loop, struct ev_timer *t)
{
	(void)loop;
	http_close(container_of(t, struct http_conn, timer));
}

static void http_accept(struct ev_loop *loop, struct ev_io *w, uint32_t events)
{
	(void)events;
	for (;;) {
		int fd = accept4(w->fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct http_conn *c;

		if (fd < 0)
			return;
		c = malloc(sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->len = 0;
		ev_io_init(&c->io, fd, http_read);
		ev_timer_init(&c->timer, http_timeout);
		if (ev_io_set(loop, &c->io, EPOLLIN) < 0 ||
		    ev_timer_start(loop, &c->timer, 5000000000ull) < 0) {
			http_close(c);
			continue;
		}
	}
}

int metrics_http_start(struct gateway *gw, struct ev_loop *loop)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	if (conf_parse_sockaddr(gw->conf.pprof, &ss, &len) < 0) {
		errno = EINVAL;
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 64) < 0) {
		close(fd);
		return -1;
	}
	m_gw = gw;
	m_loop = loop;
	ev_io_init(&m_lsn, fd, http_accept);
	if (ev_io_set(loop, &m_lsn, EPOLLIN) < 0) {
		close(fd);
		return -1;
	}
	/* port 0: the kernel's choice, which the log tells */
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
		char a[SG_ADDR_TEXT];

		selfaddr_add(&gw->self, (struct sockaddr *)&ss);
		sg_sockaddr_fmt((struct sockaddr *)&ss, a, sizeof(a));
		log_info("metrics on http://%s/metrics", a);
	}
	return 0;
}

void metrics_http_stop(void)
{
	if (m_lsn.fd < 0)
		return;
	ev_io_set(m_loop, &m_lsn, 0);
	close(m_lsn.fd);
	m_lsn.fd = -1;
}
