/* SPDX-License-Identifier: MIT */
#ifndef SG_TEST_GWPROC_H
#define SG_TEST_GWPROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TEST_SECRET "s3cret with spaces"

/* The daemon under test, a real process. */
struct gw {
	pid_t pid;
	uint16_t port;
	uint16_t mport; /* its --pprof port, when it serves one */
	char dir[64];	/* its working directory: log, pid file */
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
/*
 * The installed build/sockgate run by a shell in a scratch directory:
 * `env` (assignments, or "") before it, `args` after --addr
 * 127.0.0.1:0 (its log in ./log); once it logs "ready", the shell runs
 * `then` ($pid is the gateway's), stops it with SIGTERM, runs `after`.
 * What they print (run_cmd); *status is `after`'s exit status.
 */
char *gw_sh(const char *env, const char *args, const char *then,
	    const char *after, int *status);
/* Runs a shell command, returns its stdout (malloc'd, trailing \n cut). */
char *run_cmd(const char *cmd, int *status);
/* Removes a directory and everything in it (a test's scratch space). */
void rm_tree(const char *dir);
/* The pid a pid file holds; 0 when there is none. */
pid_t pid_in(const char *path);
long ms_now(void);
void ms_sleep(int ms);

#endif
