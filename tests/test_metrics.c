// SPDX-License-Identifier: MIT
/*
 * Metrics an operator can graph: promtool's lint, byte counters that move
 * while a session lives, histograms, the readiness endpoint, and Debian's
 * Prometheus scraping a gateway with the shipped alert rules loaded.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "peers.h"
#include "sockgate.h"

TestSuite(metrics, .timeout = 120);

#define UP_BYTES "sockgate_bytes_total{dir=\"up\"} "

/* The repository's dist/ file, absolute: Prometheus reads a rule file
 * relative to its configuration's directory. */
static const char *dist(const char *name)
{
	static char path[PATH_MAX];
	char rel[512];

	/* build/ or build/asan/ */
	snprintf(rel, sizeof(rel), "%s/../dist/%s", sg_build(), name);
	if (access(rel, F_OK) != 0)
		snprintf(rel, sizeof(rel), "%s/../../dist/%s", sg_build(),
			 name);
	cr_assert(realpath(rel, path), "%s: %s", rel, strerror(errno));
	return path;
}

/* promtool check metrics is clean on what a gateway that served a
 * session renders; nothing about etcd without --etcd; /healthz answers
 * ready, then draining. */
Test(metrics, promtool_clean_and_healthz)
{
	char cmd[512], path[64], *out;
	struct fx f;
	FILE *fp;
	int st, fd;

	if (sg_light()) /* the guests have no promtool */
		return;
	fx_echo(&f, NULL, NULL);
	fd = fx_dial_echo(&f);
	fx_round_trip(fd, "scrape me");
	out = http_get(f.mport, "/metrics", &st);
	cr_assert_eq(st, 200);
	cr_assert_null(strstr(out, "etcd"), "etcd series without --etcd");
	cr_assert(strstr(out, "sockgate_build_info{version=\"" SG_VERSION "\""),
		  "%s", out);
	cr_assert(strstr(out, "# HELP sockgate_accepted_total "));
	snprintf(path, sizeof(path), "/tmp/sgmetrics.%d", getpid());
	fp = fopen(path, "w");
	fputs(out, fp);
	fclose(fp);
	free(out);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1", path);
	out = run_cmd(cmd, &st);
	cr_assert_eq(st, 0, "promtool: %s", out);
	cr_assert_str_eq(out, "", "promtool's lint");
	free(out);
	unlink(path);

	out = http_get(f.mport, "/healthz", &st);
	cr_assert_eq(st, 200);
	cr_assert_str_eq(out, "ready\n");
	free(out);
	/* a drain with a live session: not ready any more */
	kill(f.g.pid, SIGTERM);
	cr_assert_geq(gw_log_wait(&f.g, "signal 15: draining", 1, 10000), 1,
		      "log %s", f.g.log);
	out = http_get(f.mport, "/healthz", &st);
	cr_assert_eq(st, 503, "%s", out ? out : "(nothing)");
	cr_assert_str_eq(out, "draining\n");
	free(out);
	close(fd);
	f.fd = -1;
	cr_assert_eq(gw_wait(&f.g, 30000), 0);
	f.g.pid = 0;
	fx_end(&f);
}

/* The byte counters move while a session lives (the kernel's counters
 * read at the scrape in sockmap mode), and never go down as it ends. */
MODE_TEST(metrics, bytes_move_while_a_session_lives, M_ALL)
{
	char buf[65536];
	struct fx f;
	long long before, during, after;
	int fd;

	memset(buf, 'b', sizeof(buf));
	fx_echo(&f, mode, NULL);
	fd = fx_dial_echo(&f);
	before = fx_metric(&f, UP_BYTES);
	for (int i = 0; i < 16; i++) {
		cr_assert_eq(write_all(fd, buf, sizeof(buf)), sizeof(buf));
		cr_assert_eq(read_full(fd, buf, sizeof(buf), 10000),
			     sizeof(buf));
	}
	during = fx_metric_wait(&f, UP_BYTES, before + 16 * 65536, 10000);
	cr_assert_geq(during, before + 16 * 65536,
		      "1 MiB up while the session lives: %lld -> %lld", before,
		      during);
	close(fd);
	f.fd = -1;
	fx_wait_done(&f, 1);
	after = fx_metric(&f, UP_BYTES);
	cr_assert_eq(after, during, "the end adds nothing twice: %lld, %lld",
		     during, after);
	fx_end(&f);
}

/* Histograms: each session's handshake, connect and life, once. */
Test(metrics, histograms_count_each_session_once)
{
	struct fx f;

	fx_echo(&f, NULL, NULL);
	for (int i = 0; i < 5; i++) {
		int fd = fx_dial_echo(&f);

		fx_round_trip(fd, "h");
		close(fd);
		f.fd = -1;
	}
	fx_wait_done(&f, 5);
	cr_assert_eq(fx_metric(&f, "sockgate_handshake_seconds_count "), 5);
	cr_assert_eq(fx_metric(&f, "sockgate_connect_seconds_count "), 5);
	cr_assert_eq(fx_metric(&f, "sockgate_session_duration_seconds_count "),
		     5);
	cr_assert_eq(fx_metric(&f, "sockgate_handshake_seconds_bucket{le="
				   "\"+Inf\"} "),
		     5);
	fx_end(&f);
}

/*
 * Debian's Prometheus scrapes a gateway: `up` becomes 1 and the sessions
 * the test made show in sockgate_accepted_total; the shipped alert rules
 * load (and pass promtool) and none fires on a healthy gateway.
 */
Test(metrics, prometheus_scrapes_with_the_rules, .timeout = 180)
{
	char dir[64], conf[128], cmd[1024], *out;
	uint16_t port;
	struct fx f;
	FILE *fp;
	pid_t prom;
	int st, lfd;

	if (sg_light())
		return;
	snprintf(cmd, sizeof(cmd), "promtool check rules %s 2>&1",
		 dist("sockgate.rules.yml"));
	out = run_cmd(cmd, &st);
	cr_assert_eq(st, 0, "%s", out);
	cr_assert(strstr(out, "SUCCESS: 5 rules found"), "%s", out);
	free(out);

	fx_echo(&f, NULL, NULL);
	for (int i = 0; i < 3; i++) {
		fx_round_trip(fx_dial_echo(&f), "for prometheus");
		close(f.fd);
		f.fd = -1;
	}
	/* a free port for Prometheus's own listener */
	lfd = tcp_listen(0, &port, 1);
	close(lfd);
	snprintf(dir, sizeof(dir), "/tmp/sgprom.%d", getpid());
	mkdir(dir, 0755);
	snprintf(conf, sizeof(conf), "%s/prometheus.yml", dir);
	fp = fopen(conf, "w");
	fprintf(fp,
		"global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
		"rule_files:\n  - %s\n"
		"scrape_configs:\n  - job_name: sockgate\n"
		"    static_configs:\n      - targets: ['127.0.0.1:%u']\n",
		dist("sockgate.rules.yml"), f.mport);
	fclose(fp);
	prom = fork();
	if (prom == 0) {
		char listen[64], data[96], logf[96];

		snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
		snprintf(data, sizeof(data), "%s/data", dir);
		snprintf(logf, sizeof(logf), "%s/log", dir);
		if (!freopen(logf, "w", stderr) ||
		    !freopen("/dev/null", "w", stdout))
			_exit(126);
		execlp("prometheus", "prometheus", "--config.file", conf,
		       "--storage.tsdb.path", data, "--web.listen-address",
		       listen, (char *)NULL);
		_exit(127);
	}
	cr_assert_gt(prom, 0);
	/* its HTTP API until the target is up and has the sessions */
	out = NULL;
	for (long end = ms_now() + 90000; ms_now() < end; ms_sleep(250)) {
		free(out);
		out = http_get(port,
			       "/api/v1/query?query=sockgate_accepted_total",
			       &st);
		if (out && st == 200 && strstr(out, "\"value\":[") &&
		    strstr(out, ",\"3\"]"))
			break;
	}
	cr_assert(out && strstr(out, ",\"3\"]"),
		  "Prometheus never scraped the 3 sessions (log %s/log): %s",
		  dir, out ? out : "(no answer)");
	free(out);
	out = http_get(port, "/api/v1/query?query=up", &st);
	cr_assert(out && strstr(out, "\"job\":\"sockgate\"") &&
			  strstr(out, ",\"1\"]"),
		  "up: %s", out ? out : "(no answer)");
	free(out);
	/* the rules are loaded, and a healthy gateway fires none */
	out = http_get(port, "/api/v1/rules", &st);
	cr_assert(out && strstr(out, "SockgateNearMaxConns"), "%s",
		  out ? out : "(no answer)");
	free(out);
	out = http_get(port, "/api/v1/alerts", &st);
	cr_assert(out && strstr(out, "\"alerts\":[]"), "%s",
		  out ? out : "(no answer)");
	free(out);
	kill(prom, SIGTERM);
	waitpid(prom, &st, 0);
	fx_end(&f);
	if (!getenv("SG_KEEP"))
		rm_tree(dir);
}
