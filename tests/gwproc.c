// SPDX-License-Identifier: MIT
/* The daemon under test as a real process: start, log, stop. */
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gwproc.h"
#include "sockgate.h"

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

long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ms_sleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

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
	long end = ms_now() + timeout_ms;
	int c;

	while ((c = gw_log_count(g, s)) < n && ms_now() < end)
		ms_sleep(10);
	return c;
}

/* The port of the first log line with "<what> HOST:PORT" (IPv4, [v6],
 * or http://HOST:PORT/...). 0 when there is none yet. */
static uint16_t log_port(const struct gw *g, const char *what)
{
	FILE *f = fopen(g->log, "r");
	char line[2048];
	uint16_t port = 0;

	if (!f)
		return 0;
	while (!port && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, what), *c;

		if (!p)
			continue;
		p += strlen(what);
		c = p + strcspn(p, " /\n");
		while (c > p && *c != ':')
			c--;
		if (*c == ':')
			port = (uint16_t)atoi(c + 1);
	}
	fclose(f);
	return port;
}

void gw_pin_dir(const struct gw *g, char *out, size_t len)
{
	snprintf(out, len, "%s/%d", SG_PIN_DIR, g->pid);
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
	snprintf(bin, sizeof(bin), "%s/sockgate-test", sg_build());
	f = fopen(secret_file, "w");
	if (!f)
		return -1;
	fprintf(f, "%s\n", TEST_SECRET);
	fclose(f);
	chmod(secret_file, 0600); /* the gateway refuses a readable one */

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
	end = ms_now() + 15000;
	while (ms_now() < end) {
		int st;

		/* "ready" once the workers run and the pid file is
		 * written, or waits for a live process's to go; the lines
		 * with the ports come before it */
		if (gw_log_count(g, "] ready: pid ") > 0 ||
		    gw_log_count(g, "\"msg\":\"ready: pid ") > 0) {
			g->port = log_port(g, "listening on ");
			g->mport = log_port(g, "metrics on http://");
			if (g->port)
				return 0;
		}
		if (waitpid(g->pid, &st, WNOHANG) == g->pid) {
			g->pid = 0;
			return -1;
		}
		ms_sleep(10);
	}
	kill(g->pid, SIGKILL);
	return -1;
}

int gw_wait(struct gw *g, int timeout_ms)
{
	long end = ms_now() + timeout_ms;
	int st;

	if (g->pid <= 0)
		return -1;
	while (ms_now() < end) {
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
		ms_sleep(10);
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

void rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
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
		rm_tree(g->dir);
	return r;
}

pid_t pid_in(const char *path)
{
	char buf[32] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return (pid_t)atol(buf);
}

char *gw_sh(const char *env, const char *args, const char *then,
	    const char *after, int *status)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd),
		 "d=$(mktemp -d); cd $d; : >log; "
		 "%s %s/sockgate --addr 127.0.0.1:0 %s 2>log & pid=$!; "
		 "for i in $(seq 300); do grep -q ready log && break; "
		 "sleep 0.05; done; %s; kill $pid; wait $pid; %s; rc=$?; "
		 "cd /; rm -rf $d; exit $rc",
		 env, sg_build(), args, then, after);
	return run_cmd(cmd, status);
}

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
