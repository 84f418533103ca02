// SPDX-License-Identifier: MIT
/* Real peers for the tests: the daemon as a process, openssl, backends. */
#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "peers.h"

const char *sg_build(void)
{
	const char *b = getenv("SG_BUILD");

	return b && *b ? b : "build";
}

int sg_light(void)
{
	const char *l = getenv("SG_TEST_LIGHT");

	return l && *l && *l != '0';
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---------------------------------------------------------------- gw -- */

int gw_log_count(const struct gw *g, const char *s)
{
	FILE *f = fopen(g->log, "r");
	char line[2048];
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, s))
			n++;
	fclose(f);
	return n;
}

int gw_log_wait(const struct gw *g, const char *s, int n, int timeout_ms)
{
	long end = now_ms() + timeout_ms;
	int c;

	while ((c = gw_log_count(g, s)) < n && now_ms() < end)
		sleep_ms(10);
	return c;
}

static int find_port(const struct gw *g, uint16_t *port)
{
	FILE *f = fopen(g->log, "r");
	char line[2048];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "listening on ");
		char *c;

		if (!p)
			continue;
		c = strchr(p, ' ');
		c = c ? strchr(c + 1, ' ') : NULL; /* after "on " */
		if (!c)
			continue;
		c = strchr(c + 1, ' ');
		if (!c)
			continue;
		while (c > p && *c != ':')
			c--;
		*port = (uint16_t)atoi(c + 1);
		found = *port != 0;
	}
	fclose(f);
	return found;
}

void gw_pin_dir(const struct gw *g, char *out, size_t len)
{
	snprintf(out, len, "/sys/fs/bpf/sockgate/%d", g->pid);
}

int gw_start(struct gw *g, int nofile, const char *const *args)
{
	return gw_start_wrapped(g, nofile, NULL, args);
}

int gw_start_wrapped(struct gw *g, int nofile, const char *const *wrapper,
		     const char *const *args)
{
	const char *argv[64];
	char secret_file[128], bin[256];
	int n = 0, fd;
	long end;
	FILE *f;

	memset(g, 0, sizeof(*g));
	/* a fresh directory each time: with a reused pid, a fixed name would
	 * hand this test an earlier gateway's log and port */
	snprintf(g->dir, sizeof(g->dir), "/tmp/sgtest.XXXXXX");
	if (!mkdtemp(g->dir))
		return -1;
	snprintf(g->log, sizeof(g->log), "%s/gw.log", g->dir);
	snprintf(g->pidfile, sizeof(g->pidfile), "%s/gateway.pid", g->dir);
	snprintf(secret_file, sizeof(secret_file), "%s/secret", g->dir);
	snprintf(bin, sizeof(bin), "%s/sockgate", sg_build());
	f = fopen(secret_file, "w");
	if (!f)
		return -1;
	fprintf(f, "%s\n", TEST_SECRET);
	fclose(f);

	for (int i = 0; wrapper && wrapper[i] && n < 16; i++)
		argv[n++] = wrapper[i];
	argv[n++] = bin;
	argv[n++] = "--addr";
	argv[n++] = "127.0.0.1:0";
	argv[n++] = "--secret-file";
	argv[n++] = secret_file;
	argv[n++] = "--pidfile";
	argv[n++] = g->pidfile;
	argv[n++] = "--log-level";
	argv[n++] = "debug";
	argv[n++] = "--workers";
	argv[n++] = "2";
	for (int i = 0; args && args[i] && n < 62; i++)
		argv[n++] = args[i];
	argv[n] = NULL;

	g->pid = fork();
	if (g->pid < 0)
		return -1;
	if (g->pid == 0) {
		/* a test that fails or times out takes its gateway with it */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fd = open(g->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, 2) < 0 || dup2(fd, 1) < 0)
			_exit(126);
		if (nofile > 0) {
			struct rlimit rl = { (rlim_t)nofile, (rlim_t)nofile };

			setrlimit(RLIMIT_NOFILE, &rl);
		}
		/* the test process may have fds open: do not leak them */
		for (int i = 3; i < 1024; i++)
			close(i);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	end = now_ms() + 15000;
	while (now_ms() < end) {
		int st;

		if (find_port(g, &g->port) && access(g->pidfile, F_OK) == 0)
			return 0;
		if (waitpid(g->pid, &st, WNOHANG) == g->pid) {
			g->pid = 0;
			return -1;
		}
		sleep_ms(10);
	}
	kill(g->pid, SIGKILL);
	return -1;
}

int gw_wait(struct gw *g, int timeout_ms)
{
	long end = now_ms() + timeout_ms;
	int st;

	if (g->pid <= 0)
		return -1;
	while (now_ms() < end) {
		pid_t r = waitpid(g->pid, &st, WNOHANG);

		if (r == g->pid) {
			g->pid = 0;
			/* under ASan/UBSan: a report fails the run even when
			 * the process could exit normally */
			if (gw_log_count(g, "runtime error:") ||
			    gw_log_count(g, "Sanitizer"))
				return -3;
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		}
		sleep_ms(10);
	}
	return -2;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int gw_stop(struct gw *g)
{
	int r;

	if (g->pid <= 0)
		return -1;
	kill(g->pid, SIGTERM);
	r = gw_wait(g, 20000);
	if (r == -2) {
		kill(g->pid, SIGKILL);
		waitpid(g->pid, NULL, 0);
		g->pid = 0;
		return -1;
	}
	/* a clean exit leaves nothing to look at (SG_KEEP=1 keeps it) */
	if (r == 0 && !getenv("SG_KEEP"))
		nftw(g->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	return r;
}

/* ----------------------------------------------------------- openssl -- */

char *run_cmd(const char *cmd, int *status)
{
	FILE *p = popen(cmd, "r");
	char *out = NULL;
	size_t len = 0, cap = 0;
	int c, st;

	if (!p)
		return NULL;
	while ((c = fgetc(p)) != EOF) {
		if (len + 2 > cap) {
			cap = cap ? cap * 2 : 256;
			out = realloc(out, cap);
		}
		out[len++] = (char)c;
	}
	st = pclose(p);
	if (status)
		*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	if (!out)
		out = calloc(1, 1);
	else
		out[len] = '\0';
	while (len > 0 && out[len - 1] == '\n')
		out[--len] = '\0';
	return out;
}

char *ossl_token(const char *secret, const char *plain, const char *md)
{
	static __thread char tok[8192];
	char cmd[1024];
	char *out;

	setenv("SG_PASS", secret, 1);
	setenv("SG_PLAIN", plain, 1);
	snprintf(cmd, sizeof(cmd),
		 "printf %%s \"$SG_PLAIN\" | openssl enc -aes-256-cbc -a -A "
		 "-salt %s%s -pass env:SG_PASS 2>/dev/null",
		 md ? "-md " : "", md ? md : "");
	out = run_cmd(cmd, NULL);
	snprintf(tok, sizeof(tok), "%s", out ? out : "");
	free(out);
	return tok;
}

char *ossl_decrypt(const char *secret, const char *token, const char *md)
{
	char cmd[1024];
	int st;
	char *out;

	setenv("SG_PASS", secret, 1);
	setenv("SG_TOKEN", token, 1);
	snprintf(cmd, sizeof(cmd),
		 "printf '%%s\\n' \"$SG_TOKEN\" | openssl enc -d -aes-256-cbc "
		 "-a -A %s%s -pass env:SG_PASS 2>/dev/null",
		 md ? "-md " : "", md ? md : "");
	out = run_cmd(cmd, &st);
	if (st != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* ----------------------------------------------------------- sockets -- */

int tcp_connect(const char *host, uint16_t port)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(port) };
	struct sockaddr_in s4 = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	int v6 = strchr(host, ':') != NULL;
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int r;

	if (fd < 0)
		return -1;
	if (v6) {
		inet_pton(AF_INET6, host, &s6.sin6_addr);
		r = connect(fd, (struct sockaddr *)&s6, sizeof(s6));
	} else {
		inet_pton(AF_INET, host, &s4.sin_addr);
		r = connect(fd, (struct sockaddr *)&s4, sizeof(s4));
	}
	if (r < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

ssize_t write_all(int fd, const void *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(fd, (const char *)buf + off, len - off,
				 MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return (ssize_t)off;
}

static int wait_in(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout_ms);
}

ssize_t read_full(int fd, void *buf, size_t len, int timeout_ms)
{
	size_t off = 0;
	long end = now_ms() + timeout_ms;

	while (off < len) {
		ssize_t n;
		long left = end - now_ms();

		if (left <= 0 || wait_in(fd, (int)left) <= 0)
			break;
		n = read(fd, (char *)buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	return (ssize_t)off;
}

ssize_t read_to_eof(int fd, int timeout_ms)
{
	char buf[65536];
	ssize_t total = 0;
	long end = now_ms() + timeout_ms;

	for (;;) {
		long left = end - now_ms();
		ssize_t n;

		if (left <= 0 || wait_in(fd, (int)left) <= 0)
			return -1;
		n = read(fd, buf, sizeof(buf));
		if (n == 0)
			return total;
		if (n < 0)
			return errno == EINTR ? total : -1;
		total += n;
	}
}

int gw_dial(uint16_t port, const char *line, size_t len, int *fdp)
{
	char code[4] = "";
	int fd = tcp_connect("127.0.0.1", port);
	ssize_t n;

	if (fd < 0)
		return -1;
	if (write_all(fd, line, len) < 0) {
		close(fd);
		return -1;
	}
	n = read_full(fd, code, 3, 30000);
	if (fdp && n == 3)
		*fdp = fd;
	else
		close(fd);
	if (n != 3)
		return 0;
	return atoi(code);
}

int gw_dial_token(uint16_t port, const char *token, int *fd)
{
	size_t len = strlen(token);
	char *line = malloc(len + 2);
	int r;

	memcpy(line, token, len);
	line[len] = '\n';
	r = gw_dial(port, line, len + 1, fd);
	free(line);
	return r;
}

int tcp_listen(int v6, uint16_t *port, int backlog)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*s4);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    listen(fd, backlog) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
			   ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/* -------------------------------------------------------------- echo -- */

static void *echo_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write_all(fd, buf, (size_t)n) < 0)
			break;
	close(fd);
	return NULL;
}

static void *echo_accept(void *arg)
{
	struct echo_srv *e = arg;

	for (;;) {
		int fd = accept(e->fd, NULL, NULL);
		pthread_t t;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return NULL;
		}
		atomic_fetch_add(&e->conns, 1);
		if (pthread_create(&t, NULL, echo_conn, (void *)(intptr_t)fd)) {
			close(fd);
			continue;
		}
		pthread_detach(t);
	}
}

int echo_start(struct echo_srv *e, int v6)
{
	atomic_init(&e->conns, 0);
	e->fd = tcp_listen(v6, &e->port, 512);
	if (e->fd < 0)
		return -1;
	return pthread_create(&e->th, NULL, echo_accept, e) ? -1 : 0;
}

void echo_stop(struct echo_srv *e)
{
	shutdown(e->fd, SHUT_RDWR); /* wakes accept() */
	pthread_join(e->th, NULL);
	close(e->fd);
}

/* -------------------------------------------------------------- xfer -- */

struct gen {
	uint64_t s;
	uint8_t buf[65536];
	size_t off, len;
};

static void gen_init(struct gen *g, uint64_t seed)
{
	g->s = seed * 0x9E3779B97F4A7C15ull + 1;
	g->off = g->len = 0;
}

static void gen_fill(struct gen *g, size_t len)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t x = g->s;

		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		g->s = x;
		x *= 0x2545F4914F6CDD1Dull;
		memcpy(g->buf + i, &x, 8);
	}
	g->off = 0;
	g->len = len;
}

/* SHA-256 of the first len bytes of the stream from seed. */
static void stream_hash(uint64_t seed, uint64_t len, uint8_t out[32])
{
	struct gen *g = malloc(sizeof(*g));
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	gen_init(g, seed);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	while (len > 0) {
		size_t n = len < sizeof(g->buf) ? (size_t)len : sizeof(g->buf);

		gen_fill(g, sizeof(g->buf));
		EVP_DigestUpdate(md, g->buf, n);
		len -= n;
	}
	EVP_DigestFinal_ex(md, out, NULL);
	EVP_MD_CTX_free(md);
	free(g);
}

/*
 * Full duplex on one socket: sends `send_len` bytes of the stream from
 * send_seed, then shuts the write side; reads to EOF, hashing. Returns
 * received bytes, or -1 on a socket error or a 60 s stall.
 */
static int64_t duplex(int fd, uint64_t send_seed, uint64_t send_len,
		      uint8_t hash[32], char *err, size_t errlen)
{
	struct gen *g = malloc(sizeof(*g));
	uint8_t *rbuf = malloc(65536);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint64_t sent = 0;
	int64_t got = 0;
	int wr_open = 1, rd_open = 1;

	gen_init(g, send_seed);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (send_len == 0) {
		shutdown(fd, SHUT_WR);
		wr_open = 0;
	}
	while (rd_open || wr_open) {
		struct pollfd p = { .fd = fd,
				    .events = (rd_open ? POLLIN : 0) |
					      (wr_open ? POLLOUT : 0) };
		int r = poll(&p, 1, 60000);
		ssize_t n;

		if (r <= 0) {
			snprintf(err, errlen,
				 "stalled: sent %llu/%llu got %lld",
				 (unsigned long long)sent,
				 (unsigned long long)send_len, (long long)got);
			got = -1;
			break;
		}
		if (wr_open && (p.revents & (POLLOUT | POLLERR | POLLHUP))) {
			if (g->off == g->len) {
				uint64_t left = send_len - sent;

				gen_fill(g, sizeof(g->buf));
				if (left < g->len)
					g->len = (size_t)left;
			}
			n = send(fd, g->buf + g->off, g->len - g->off,
				 MSG_NOSIGNAL);
			if (n > 0) {
				g->off += (size_t)n;
				sent += (uint64_t)n;
				if (sent == send_len) {
					shutdown(fd, SHUT_WR);
					wr_open = 0;
				}
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				snprintf(err, errlen, "send: %s",
					 strerror(errno));
				got = -1;
				break;
			}
		}
		if (rd_open && (p.revents & (POLLIN | POLLERR | POLLHUP))) {
			n = read(fd, rbuf, 65536);
			if (n == 0) {
				rd_open = 0;
			} else if (n > 0) {
				EVP_DigestUpdate(md, rbuf, (size_t)n);
				got += n;
			} else if (errno != EAGAIN && errno != EINTR) {
				snprintf(err, errlen, "read: %s",
					 strerror(errno));
				got = -1;
				break;
			}
		}
	}
	EVP_DigestFinal_ex(md, hash, NULL);
	EVP_MD_CTX_free(md);
	free(g);
	free(rbuf);
	return got;
}

struct xfer_hdr {
	uint64_t seed, up, down;
};

static void *xfer_conn(void *arg)
{
	struct xfer_srv *x = ((void **)arg)[0];
	int fd = (int)(intptr_t)((void **)arg)[1];
	struct xfer_hdr h;
	uint8_t got_hash[32], want[32];
	char err[128];
	int64_t got;

	free(arg);
	if (read_full(fd, &h, sizeof(h), 60000) != sizeof(h)) {
		atomic_fetch_add(&x->bad, 1);
		close(fd);
		return NULL;
	}
	got = duplex(fd, h.seed + 1, h.down, got_hash, err, sizeof(err));
	stream_hash(h.seed, h.up, want);
	if (got == (int64_t)h.up && memcmp(got_hash, want, 32) == 0) {
		atomic_fetch_add(&x->ok, 1);
	} else {
		snprintf(x->last_bad, sizeof(x->last_bad),
			 "seed %llu: got %lld of %llu bytes%s (%s)",
			 (unsigned long long)h.seed, (long long)got,
			 (unsigned long long)h.up,
			 got == (int64_t)h.up ? ", SHA-256 differs" : "",
			 got < 0 ? err : "");
		atomic_fetch_add(&x->bad, 1);
	}
	close(fd);
	return NULL;
}

static void *xfer_accept(void *arg)
{
	struct xfer_srv *x = arg;

	for (;;) {
		int fd = accept(x->fd, NULL, NULL);
		void **a;
		pthread_t t;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return NULL;
		}
		a = malloc(2 * sizeof(void *));
		a[0] = x;
		a[1] = (void *)(intptr_t)fd;
		if (pthread_create(&t, NULL, xfer_conn, a)) {
			free(a);
			close(fd);
			continue;
		}
		pthread_detach(t);
	}
}

int xfer_srv_start(struct xfer_srv *x)
{
	atomic_init(&x->ok, 0);
	atomic_init(&x->bad, 0);
	x->fd = tcp_listen(0, &x->port, 1024);
	if (x->fd < 0)
		return -1;
	return pthread_create(&x->th, NULL, xfer_accept, x) ? -1 : 0;
}

void xfer_srv_stop(struct xfer_srv *x)
{
	shutdown(x->fd, SHUT_RDWR);
	pthread_join(x->th, NULL);
	close(x->fd);
}

int xfer_client(uint16_t gw_port, const char *token, uint64_t seed, uint64_t up,
		uint64_t down, char *err, size_t errlen)
{
	struct xfer_hdr h = { seed, up, down };
	uint8_t got_hash[32], want[32];
	int fd, code;
	int64_t got;

	code = gw_dial_token(gw_port, token, &fd);
	if (code != 200) {
		snprintf(err, errlen, "handshake answered %d", code);
		return -1;
	}
	if (write_all(fd, &h, sizeof(h)) < 0) {
		snprintf(err, errlen, "header write failed");
		close(fd);
		return -1;
	}
	got = duplex(fd, seed, up, got_hash, err, errlen);
	close(fd);
	if (got < 0)
		return -1;
	stream_hash(seed + 1, down, want);
	if (got != (int64_t)down) {
		snprintf(err, errlen, "got %lld bytes, want %llu",
			 (long long)got, (unsigned long long)down);
		return -1;
	}
	if (memcmp(got_hash, want, 32) != 0) {
		snprintf(err, errlen, "SHA-256 mismatch over %llu bytes",
			 (unsigned long long)down);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------- nxdns -- */

/* The QTYPE of a query: after the header and the QNAME labels. */
static int qtype_of(const uint8_t *q, size_t n)
{
	size_t off = 12;

	while (off < n && q[off] != 0)
		off += (size_t)q[off] + 1;
	if (off + 3 > n)
		return -1;
	return q[off + 1] << 8 | q[off + 2];
}

static void *nxdns_loop(void *arg)
{
	struct nxdns *d = arg;
	uint8_t q[1500];

	for (;;) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(d->fd, q, sizeof(q) - 16, 0,
				     (struct sockaddr *)&from, &fl);
		size_t len;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 12)
			return NULL; /* shut down */
		atomic_fetch_add(&d->queries, 1);
		if (d->delay_ms)
			sleep_ms(d->delay_ms);
		len = (size_t)n;
		memset(q + 6, 0, 6); /* no answer, authority, additional */
		q[2] = 0x81;	     /* QR, RD */
		if (!d->answer_a) {
			q[3] = 0x83; /* RA, NXDOMAIN */
		} else {
			q[3] = 0x80; /* RA, NOERROR */
			if (qtype_of(q, len) == 1) {
				static const uint8_t a[] = { 0xc0, 0x0c, 0, 1,
							     0,	   1,	 0, 0,
							     0,	   60,	 0, 4,
							     127,  0,	 0, 1 };
				q[7] = 1; /* one answer: 127.0.0.1 */
				memcpy(q + len, a, sizeof(a));
				len += sizeof(a);
			}
		}
		sendto(d->fd, q, len, 0, (struct sockaddr *)&from, fl);
	}
}

int nxdns_start(struct nxdns *d)
{
	return fakedns_start(d, 0, 0);
}

int fakedns_start(struct nxdns *d, int answer_a, int delay_ms)
{
	struct sockaddr_in s4 = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(s4);

	atomic_init(&d->queries, 0);
	d->answer_a = answer_a;
	d->delay_ms = delay_ms;
	d->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (d->fd < 0 || bind(d->fd, (struct sockaddr *)&s4, len) < 0 ||
	    getsockname(d->fd, (struct sockaddr *)&s4, &len) < 0)
		return -1;
	d->port = ntohs(s4.sin_port);
	return pthread_create(&d->th, NULL, nxdns_loop, d) ? -1 : 0;
}

void nxdns_stop(struct nxdns *d)
{
	shutdown(d->fd, SHUT_RDWR);
	pthread_join(d->th, NULL);
	close(d->fd);
}

/* -------------------------------------------------------------- sink -- */

struct sink_arg {
	int fd, delay_ms;
};

static void *sink_conn(void *arg)
{
	struct sink_arg *a = arg;
	int fd = a->fd;
	char buf[65536];
	unsigned long long got = 0;
	ssize_t n;

	if (a->delay_ms)
		sleep_ms(a->delay_ms);
	free(a);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		got += (unsigned long long)n;
	n = snprintf(buf, sizeof(buf), "got=%llu\n", got);
	write_all(fd, buf, (size_t)n);
	close(fd);
	return NULL;
}

static void *sink_accept(void *arg)
{
	struct sink_srv *k = arg;

	for (;;) {
		int fd = accept(k->fd, NULL, NULL);
		struct sink_arg *a;
		pthread_t t;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return NULL;
		}
		a = malloc(sizeof(*a));
		a->fd = fd;
		a->delay_ms = k->delay_ms;
		if (pthread_create(&t, NULL, sink_conn, a)) {
			free(a);
			close(fd);
			continue;
		}
		pthread_detach(t);
	}
}

int sink_start(struct sink_srv *k)
{
	k->fd = tcp_listen(0, &k->port, 64);
	if (k->fd < 0)
		return -1;
	return pthread_create(&k->th, NULL, sink_accept, k) ? -1 : 0;
}

int sink_upload(uint16_t gw_port, uint16_t sink_port, size_t len, char *err,
		size_t errlen)
{
	char addr[64], reply[64] = "", want[64];
	char *buf = calloc(1, len);
	int fd = -1, code, ret = -1;
	ssize_t n;

	snprintf(addr, sizeof(addr), "127.0.0.1:%u", sink_port);
	snprintf(want, sizeof(want), "got=%zu\n", len);
	code = gw_dial_token(gw_port, ossl_token(TEST_SECRET, addr, NULL), &fd);
	if (code != 200) {
		snprintf(err, errlen, "handshake answered %d", code);
		goto out;
	}
	if (!buf || write_all(fd, buf, len) != (ssize_t)len) {
		snprintf(err, errlen, "upload of %zu bytes failed", len);
		goto out;
	}
	shutdown(fd, SHUT_WR);
	n = read_full(fd, reply, strlen(want), 30000);
	if (n != (ssize_t)strlen(want) || strcmp(reply, want) != 0) {
		snprintf(err, errlen, "answer '%s', want '%.*s'", reply,
			 (int)strlen(want) - 1, want);
		goto out;
	}
	if (read_to_eof(fd, 10000) != 0) {
		snprintf(err, errlen, "no EOF after the answer");
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}

void sink_stop(struct sink_srv *k)
{
	shutdown(k->fd, SHUT_RDWR);
	pthread_join(k->th, NULL);
	close(k->fd);
}

/* ------------------------------------------------------------ figures -- */

static long field_after(const char *path, const char *line_prefix,
			const char *key)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p;

		if (strncmp(line, line_prefix, strlen(line_prefix)) != 0)
			continue;
		p = key ? strstr(line, key) : line + strlen(line_prefix);
		if (p) {
			v = atol(p + (key ? strlen(key) : 0));
			break;
		}
	}
	fclose(f);
	return v;
}

long proc_rss_kb(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	return field_after(path, "VmRSS:", NULL);
}

long sockstat_tcp_mem_pages(void)
{
	return field_after("/proc/net/sockstat", "TCP:", " mem ");
}

long slab_active_objs(const char *cache)
{
	char prefix[64];

	snprintf(prefix, sizeof(prefix), "%s ", cache);
	return field_after("/proc/slabinfo", prefix, NULL);
}

long long gw_metric(uint16_t port, const char *name)
{
	static const char req[] = "GET /metrics HTTP/1.0\r\n\r\n";
	char buf[8192], key[128], *p;
	int fd = tcp_connect("127.0.0.1", port);
	ssize_t n;

	if (fd < 0)
		return -1;
	snprintf(key, sizeof(key), "\n%s", name);
	write_all(fd, req, sizeof(req) - 1);
	n = read_full(fd, buf, sizeof(buf) - 1, 5000);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, key);
	return p ? atoll(p + strlen(key)) : -1;
}

uint16_t free_port(void)
{
	uint16_t port = 0;
	int fd = tcp_listen(0, &port, 1);

	if (fd >= 0)
		close(fd);
	return port;
}

int bpftool_count(const char *pinned)
{
	char cmd[512], *out, *p;
	int st, n = 0;

	snprintf(cmd, sizeof(cmd), "bpftool -j map dump pinned %s", pinned);
	out = run_cmd(cmd, &st);
	if (st != 0) {
		free(out);
		return -1;
	}
	for (p = out; (p = strstr(p, "\"key\"")); p++)
		n++;
	free(out);
	return n;
}
