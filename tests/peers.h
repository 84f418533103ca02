/* SPDX-License-Identifier: MIT */
#ifndef SG_TEST_PEERS_H
#define SG_TEST_PEERS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TEST_SECRET "s3cret with spaces"

/* --- the daemon under test, a real process ----------------------------- */
struct gw {
	pid_t pid;
	uint16_t port;
	char dir[64]; /* its working directory: log, pid file */
	char log[96];
	char pidfile[96];
};

/*
 * Starts build/sockgate listening on 127.0.0.1 (ephemeral port unless args
 * give --addr), with the test secret file and the given extra args (NULL
 * terminated); nofile > 0 sets RLIMIT_NOFILE. Waits for "listening on".
 * Returns 0 or -1.
 */
int gw_start(struct gw *g, int nofile, const char *const *args);
/* The same, run under a wrapper command (e.g. setpriv ...), NULL ended. */
int gw_start_wrapped(struct gw *g, int nofile, const char *const *wrapper,
		     const char *const *args);
/* The gateway's pinned map directory (default pin base). */
void gw_pin_dir(const struct gw *g, char *out, size_t len);
/* SIGTERM and wait; returns the exit status, or -1 (killed, or hung). */
int gw_stop(struct gw *g);
/* Waits until the process exits; exit status or -1. */
int gw_wait(struct gw *g, int timeout_ms);
/* Counts the log lines that contain s. */
int gw_log_count(const struct gw *g, const char *s);
/* Waits for at least n such lines; returns the count. */
int gw_log_wait(const struct gw *g, const char *s, int n, int timeout_ms);
const char *sg_build(void);
/* SG_TEST_LIGHT=1 (emulated kernels in vmtest): fewer, smaller transfers. */
int sg_light(void);

/* --- tokens, made by the openssl CLI ----------------------------------- */
/* md "md5", "sha256" or NULL (openssl's default). Returns a static buffer. */
char *ossl_token(const char *secret, const char *plain, const char *md);
/* Runs openssl enc -d; returns malloc'd plaintext or NULL. */
char *ossl_decrypt(const char *secret, const char *token, const char *md);
/* Runs a shell command, returns its stdout (malloc'd, trailing \n cut). */
char *run_cmd(const char *cmd, int *status);

/* --- sockets ----------------------------------------------------------- */
int tcp_connect(const char *host, uint16_t port);
/* Connects, sends line (no "\n" added), reads the 3-byte status: 200...
 * Returns the code (fd kept in *fd, or closed if fd is NULL), 0 if the
 * gateway closed without a status, -1 on a socket error. */
int gw_dial(uint16_t port, const char *line, size_t len, int *fd);
int gw_dial_token(uint16_t port, const char *token, int *fd);
ssize_t write_all(int fd, const void *buf, size_t len);
/* Reads exactly len bytes unless EOF first; returns bytes read. */
ssize_t read_full(int fd, void *buf, size_t len, int timeout_ms);
/* Reads until EOF; returns bytes (or -1 on error/timeout). */
ssize_t read_to_eof(int fd, int timeout_ms);
/* A listener on 127.0.0.1 (or ::1 with v6), ephemeral port. */
int tcp_listen(int v6, uint16_t *port, int backlog);

/* --- backends ---------------------------------------------------------- */
/* Echo server: a thread a connection; echoes until EOF, then closes. */
struct echo_srv {
	int fd;
	uint16_t port;
	pthread_t th;
	atomic_int conns;
};
int echo_start(struct echo_srv *e, int v6);
void echo_stop(struct echo_srv *e);

/*
 * Integrity peers. The client sends a 24-byte header {seed, up, down} and
 * `up` bytes of a seeded stream, then shuts its write side; the backend
 * answers `down` bytes of another stream, and each side checks by SHA-256
 * that it received exactly the other's stream, then EOF.
 */
struct xfer_srv {
	int fd;
	uint16_t port;
	pthread_t th;
	atomic_int ok, bad;
	char last_bad[256]; /* what the last bad session got */
};
int xfer_srv_start(struct xfer_srv *x);
void xfer_srv_stop(struct xfer_srv *x);
/* Runs one session through the gateway; 0 if both directions matched. */
int xfer_client(uint16_t gw_port, const char *token, uint64_t seed, uint64_t up,
		uint64_t down, char *err, size_t errlen);

/*
 * A DNS server on 127.0.0.1: answers every query NXDOMAIN, or with
 * answer_a every A query 127.0.0.1 (AAAA: no data), after delay_ms.
 */
struct nxdns {
	int fd;
	uint16_t port;
	pthread_t th;
	atomic_int queries;
	int answer_a, delay_ms;
};
int nxdns_start(struct nxdns *d);
int fakedns_start(struct nxdns *d, int answer_a, int delay_ms);
void nxdns_stop(struct nxdns *d);

/* A backend that reads to EOF, then answers "got=N\n" and closes; it
 * starts reading delay_ms after the accept. */
struct sink_srv {
	int fd;
	uint16_t port;
	pthread_t th;
	int delay_ms;
};
int sink_start(struct sink_srv *k);
/*
 * Through the gateway to the sink: upload len bytes, shut the write side,
 * expect "got=len\n" and then EOF. 0, or -1 with err set.
 */
int sink_upload(uint16_t gw_port, uint16_t sink_port, size_t len, char *err,
		size_t errlen);
void sink_stop(struct sink_srv *k);

/* GET /metrics from a --pprof endpoint: the value of the line that starts
 * with name (e.g. "sockgate_sessions_active "), or -1. */
long long gw_metric(uint16_t port, const char *name);
/* A port that was free a moment ago. */
uint16_t free_port(void);
/* Elements in a pinned map, counted with bpftool; -1 on failure. */
int bpftool_count(const char *pinned);

/* --- kernel and process figures ---------------------------------------- */
long proc_rss_kb(pid_t pid);
long sockstat_tcp_mem_pages(void);
long slab_active_objs(const char *cache);

#endif
