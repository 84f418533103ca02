// SPDX-License-Identifier: MIT
/*
 * Discovery: tokens that name an SRV record (resolved through a real
 * dnsmasq), and the gateway's registration in a real etcd.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemons.h"
#include "fixture.h"
#include "netns.h"
#include "sock.h"
#include "session/srv.h"
#include "tokens.h"

/* a test that needs longer says so */
TestSuite(discovery, .timeout = 60);

#define PREFIX "/sockgate/gateways/"

/* ---- SRV ---- */

/* A port nothing listens on: connecting to it is refused. */
static uint16_t closed_port(void)
{
	uint16_t port;
	int fd = tcp_listen(0, &port, 1);

	cr_assert_geq(fd, 0);
	close(fd);
	return port;
}

static int dial_name(const struct fx *f, const char *name, int *fd)
{
	return gw_dial_token(f->g.port, ossl_token(TEST_SECRET, name, NULL),
			     fd);
}

Test(discovery, srv_token_reaches_backend)
{
	struct echo_srv e;
	struct dnsmasq d;
	struct fx f;
	char r1[128], r2[128];
	static const char *const names[] = { "_echo._tcp.sg.test",
					     "echo.service.consul" };

	cr_assert_eq(echo_start(&e, 0), 0);
	/* RFC 2782's form, and the form Consul's DNS interface serves */
	snprintf(r1, sizeof(r1), "--srv-host=_echo._tcp.sg.test,be.sg.test,%u",
		 e.port);
	snprintf(r2, sizeof(r2), "--srv-host=echo.service.consul,be.sg.test,%u",
		 e.port);
	cr_assert_eq(
		dnsmasq_start(&d,
			      (const char *const[]){ r1, r2,
						     "--host-record=be.sg.test,"
						     "127.0.0.1",
						     NULL }),
		0, "dnsmasq started");
	fx_gw(&f, NULL,
	      (const char *const[]){ "--dns-server", d.server, NULL });
	for (size_t i = 0; i < 2; i++) {
		int fd;

		cr_assert_eq(dial_name(&f, names[i], &fd), 200, "%s", names[i]);
		fx_round_trip(fd, "through an SRV record");
		close(fd);
	}
	cr_assert_eq(atomic_load(&e.conns), 2);
	fx_wait_done(&f, 2);
	fx_end(&f);
	dnsmasq_stop(&d);
	echo_stop(&e);
}

Test(discovery, srv_lower_priority_when_first_refuses)
{
	struct echo_srv e;
	struct dnsmasq d;
	struct fx f;
	uint16_t dead = closed_port();
	char r1[128], r2[128], r3[128];
	int fd;

	cr_assert_eq(echo_start(&e, 0), 0);
	/* priority 10 first: refused; then priority 20, on its own port */
	snprintf(r1, sizeof(r1),
		 "--srv-host=_svc._tcp.sg.test,a.sg.test,%u,10,100", dead);
	snprintf(r2, sizeof(r2),
		 "--srv-host=_svc._tcp.sg.test,b.sg.test,%u,20,100", e.port);
	snprintf(r3, sizeof(r3),
		 "--srv-host=_down._tcp.sg.test,a.sg.test,%u,10,100", dead);
	cr_assert_eq(
		dnsmasq_start(&d,
			      (const char *const[]){ r1, r2, r3,
						     "--host-record=a.sg.test,"
						     "127.0.0.1",
						     "--host-record=b.sg.test,"
						     "127.0.0.1",
						     NULL }),
		0);
	fx_gw(&f, NULL,
	      (const char *const[]){ "--dns-server", d.server, NULL });
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(dial_name(&f, "_svc._tcp.sg.test", &fd), 200);
		fx_round_trip(fd, "second choice");
		close(fd);
	}
	cr_assert_eq(atomic_load(&e.conns), 3);
	/* each session: one attempt that walked from a to b */
	cr_assert_eq(fx_metric(&f, "sockgate_connect_attempts_total"), 3);
	/* every target refuses: 502, as for one address */
	cr_assert_eq(dial_name(&f, "_down._tcp.sg.test", NULL), 502);
	cr_assert_geq(gw_log_wait(&f.g,
				  "connect _down._tcp.sg.test (SRV): "
				  "Connection refused",
				  2, 3000),
		      2, "the reply line and the close line");
	fx_end(&f);
	dnsmasq_stop(&d);
	echo_stop(&e);
}

/*
 * Twelve records: eight of priority 10 on refused ports, four of priority
 * 0 on the live backend. Whatever order the server lists them in (dnsmasq
 * rotates them), the gateway orders all twelve and keeps the best eight:
 * every handshake reaches a priority-0 target.
 */
Test(discovery, srv_best_targets_kept_from_a_long_answer)
{
	char recs[12][128], *args[14];
	struct echo_srv e;
	struct dnsmasq d;
	struct fx f;
	int n = 0, fd;

	cr_assert_eq(echo_start(&e, 0), 0);
	for (int i = 0; i < 8; i++)
		snprintf(recs[i], sizeof(recs[i]),
			 "--srv-host=_many._tcp.sg.test,a.sg.test,%u,10,%d",
			 closed_port(), 10 + i);
	for (int i = 8; i < 12; i++)
		snprintf(recs[i], sizeof(recs[i]),
			 "--srv-host=_many._tcp.sg.test,a.sg.test,%u,0,%d",
			 e.port, i);
	for (int i = 0; i < 12; i++)
		args[n++] = recs[i];
	args[n++] = "--host-record=a.sg.test,127.0.0.1";
	args[n] = NULL;
	cr_assert_eq(dnsmasq_start(&d, (const char *const *)args), 0);
	fx_gw(&f, NULL,
	      (const char *const[]){ "--dns-server", d.server, NULL });
	for (int i = 0; i < 24; i++) {
		cr_assert_eq(dial_name(&f, "_many._tcp.sg.test", &fd), 200,
			     "handshake %d (log %s)", i, f.g.log);
		fx_round_trip(fd, "priority 0");
		close(fd);
	}
	cr_assert_eq(atomic_load(&e.conns), 24);
	fx_end(&f);
	dnsmasq_stop(&d);
	echo_stop(&e);
}

Test(discovery, srv_missing_record_502)
{
	struct dnsmasq d;
	struct fx f;

	cr_assert_eq(dnsmasq_start(&d,
				   (const char *const[]){
					   /* a target without an
						* address */
					   "--srv-host=_lost._tcp.sg.test,"
					   "nowhere.sg.test,80",
					   NULL }),
		     0);
	fx_gw(&f, NULL,
	      (const char *const[]){ "--dns-server", d.server, NULL });
	cr_assert_eq(dial_name(&f, "_none._tcp.sg.test", NULL), 502);
	cr_assert_eq(dial_name(&f, "_lost._tcp.sg.test", NULL), 502);
	cr_assert_eq(fx_metric(&f, "sockgate_replies_total{code=\"502\"}"), 2);
	/* an address literal still needs its port: that is no SRV name */
	cr_assert_eq(dial_name(&f, "127.0.0.1", NULL), 401);
	fx_end(&f);
	dnsmasq_stop(&d);
}

/* Within a priority the weights share the sessions; weight 0 only when
 * nothing else is left. */
Test(discovery, srv_weights_share)
{
	struct echo_srv e1, e2, e0;
	struct dnsmasq d;
	struct fx f;
	char r1[128], r2[128], r3[128], r4[128];
	int n = sg_light() ? 16 : 40;

	cr_assert_eq(echo_start(&e1, 0), 0);
	cr_assert_eq(echo_start(&e2, 0), 0);
	cr_assert_eq(echo_start(&e0, 0), 0);
	snprintf(r1, sizeof(r1),
		 "--srv-host=_w._tcp.sg.test,be.sg.test,%u,10,50", e1.port);
	snprintf(r2, sizeof(r2),
		 "--srv-host=_w._tcp.sg.test,be.sg.test,%u,10,50", e2.port);
	snprintf(r3, sizeof(r3),
		 "--srv-host=_z._tcp.sg.test,be.sg.test,%u,10,0", e0.port);
	snprintf(r4, sizeof(r4),
		 "--srv-host=_z._tcp.sg.test,be.sg.test,%u,10,100", e1.port);
	cr_assert_eq(
		dnsmasq_start(&d,
			      (const char *const[]){ r1, r2, r3, r4,
						     "--host-record=be.sg.test,"
						     "127.0.0.1",
						     NULL }),
		0);
	fx_gw(&f, NULL,
	      (const char *const[]){ "--dns-server", d.server, NULL });
	for (int i = 0; i < n; i++) {
		cr_assert_eq(dial_name(&f, "_w._tcp.sg.test", NULL), 200);
		cr_assert_eq(dial_name(&f, "_z._tcp.sg.test", NULL), 200);
	}
	/* all n on one of two equal weights: chance 2^-(n-1) */
	cr_log_info("weights 50/50: %d and %d sessions",
		    atomic_load(&e1.conns) - n, atomic_load(&e2.conns));
	cr_assert_gt(atomic_load(&e2.conns), 0);
	cr_assert_gt(atomic_load(&e1.conns), n);
	cr_assert_eq(atomic_load(&e0.conns), 0, "weight 0 was taken first");
	fx_end(&f);
	dnsmasq_stop(&d);
	echo_stop(&e0);
	echo_stop(&e1);
	echo_stop(&e2);
}

static uint32_t lcg_state;

/* Deterministic draws: the test counts shares, not luck. */
static uint32_t lcg(uint32_t bound)
{
	lcg_state = lcg_state * 1664525u + 1013904223u;
	return (uint32_t)(((uint64_t)(lcg_state >> 8) * bound) >> 24);
}

Test(discovery, srv_order_rfc2782)
{
	struct srv_rec v[4];
	int first3 = 0, trials = 40000;

	/* priority first, whatever the weights */
	v[0] = (struct srv_rec){ .prio = 20, .weight = 100, .port = 1 };
	v[1] = (struct srv_rec){ .prio = 10, .weight = 0, .port = 2 };
	v[2] = (struct srv_rec){ .prio = 30, .weight = 5, .port = 3 };
	v[3] = (struct srv_rec){ .prio = 10, .weight = 7, .port = 4 };
	lcg_state = 1;
	srv_order(v, 4, lcg);
	cr_assert_eq(v[0].port, 4, "weight 7 before weight 0");
	cr_assert_eq(v[1].port, 2);
	cr_assert_eq(v[2].port, 1);
	cr_assert_eq(v[3].port, 3);
	/* weights 1 and 3: the second comes first 3 times in 4 */
	for (int i = 0; i < trials; i++) {
		struct srv_rec w[2] = { { .weight = 1, .port = 1 },
					{ .weight = 3, .port = 3 } };

		srv_order(w, 2, lcg);
		first3 += w[0].port == 3;
	}
	cr_log_info("weight 3 of 1+3 first in %d of %d", first3, trials);
	cr_assert(first3 > trials * 73 / 100 && first3 < trials * 77 / 100,
		  "%d of %d", first3, trials);
	/* all weights 0: each kept, in some order */
	v[0] = (struct srv_rec){ .prio = 1, .port = 1 };
	v[1] = (struct srv_rec){ .prio = 1, .port = 2 };
	srv_order(v, 2, lcg);
	cr_assert_eq(v[0].port + v[1].port, 3);
}

/* ---- etcd ---- */

/* etcd (a Go binary of 20 MB) is not in the emulated guests: these run
 * on the host, where CI runs them too. */
#define NEED_ETCD()                                                      \
	do {                                                             \
		if (sg_light())                                          \
			cr_skip_test("etcd is not in the vmtest guest"); \
	} while (0)

static void etcd_gw(struct fx *f, const struct etcd_srv *e, const char *mode,
		    const char *ttl)
{
	fx_echo(f, mode,
		(const char *const[]){ "--etcd", e->url, "--etcd-ttl", ttl,
				       NULL });
}

/* The one registered value: its address, pid and fields. */
static void assert_registered(const struct etcd_srv *e, const struct fx *f,
			      const char *also)
{
	char want[64], pid[32];
	char *v = etcd_values(e, PREFIX);

	snprintf(want, sizeof(want), "\"addr\":\"127.0.0.1:%u\"", f->g.port);
	snprintf(pid, sizeof(pid), "\"pid\":%d,", (int)f->g.pid);
	cr_assert(v && strstr(v, want) && strstr(v, pid), "value: %s",
		  v ? v : "(etcdctl failed)");
	cr_assert(strstr(v, "\"version\":\"") && strstr(v, "\"started\":") &&
			  strstr(v, "\"mode\":\""),
		  "value: %s", v);
	cr_assert(!also || strstr(v, also), "no %s in %s", also, v);
	free(v);
}

/* The first log line with a, and the first with b: a comes first. */
static int log_before(const struct gw *g, const char *a, const char *b)
{
	FILE *fp = fopen(g->log, "r");
	char line[1024];
	int seen_a = 0;

	while (fp && fgets(line, sizeof(line), fp)) {
		if (strstr(line, a))
			seen_a = 1;
		if (strstr(line, b))
			break;
	}
	if (fp)
		fclose(fp);
	return seen_a;
}

Test(discovery, etcd_registers_renews_and_leaves_on_sigterm, .timeout = 90)
{
	struct etcd_srv e;
	struct fx f;
	long t0, ms;
	char *v = NULL;

	NEED_ETCD();
	cr_assert_eq(etcd_register_start(&e, NULL, "127.0.0.1", 0), 0,
		     "etcd started");
	t0 = ms_now();
	etcd_gw(&f, &e, NULL, "2");
	cr_assert_geq(etcd_wait_count(&e, PREFIX, 1, 5000), 0, "registered");
	ms = ms_now() - t0;
	/* at start, not at a renewal: before the TTL (2 s) could pass */
	cr_log_info("registered %ld ms after the gateway was started", ms);
	assert_registered(&e, &f, "\"sessions\":0");
	cr_assert_eq(fx_metric(&f, "sockgate_etcd_registered"), 1);

	/* a live session: the value says so at the next renewal */
	fx_dial_echo(&f);
	for (t0 = ms_now(); ms_now() - t0 < 3000; ms_sleep(100)) {
		free(v);
		v = etcd_values(&e, PREFIX);
		if (v && strstr(v, "\"sessions\":1"))
			break;
	}
	cr_assert(v && strstr(v, "\"sessions\":1"), "value: %s", v);
	free(v);

	/* three TTLs on: still there, never gone in between */
	for (t0 = ms_now(); ms_now() - t0 < 6500; ms_sleep(250))
		cr_assert_eq(etcd_count(&e, PREFIX), 1, "gone after %ld ms",
			     ms_now() - t0);

	/* SIGTERM with the session open: the key goes first, the drain
	 * goes on */
	kill(f.g.pid, SIGTERM);
	ms = etcd_wait_count(&e, PREFIX, 0, 3000);
	cr_log_info("key gone %ld ms after SIGTERM", ms);
	cr_assert_geq(ms, 0, "the key is gone");
	cr_assert_eq(gw_wait(&f.g, 0), -2, "still draining the session");
	cr_assert_eq(gw_log_wait(&f.g, "] signal 15: draining", 1, 3000), 1);
	cr_assert(log_before(&f.g, "etcd: " PREFIX, "signal 15: draining"),
		  "deleted before the drain");
	fx_round_trip(f.fd, "still served while draining");
	close(f.fd);
	f.fd = -1;
	cr_assert_eq(gw_wait(&f.g, 10000), 0);
	fx_end(&f);
	etcd_register_stop(&e);
}

Test(discovery, etcd_lease_expires_after_sigkill)
{
	struct etcd_srv e;
	struct fx f;
	long ms, t0;

	NEED_ETCD();
	cr_assert_eq(etcd_register_start(&e, NULL, "127.0.0.1", 0), 0);
	/* copy: a killed gateway leaves no BPF pins behind */
	etcd_gw(&f, &e, "copy", "2");
	cr_assert_geq(etcd_wait_count(&e, PREFIX, 1, 5000), 0);
	t0 = ms_now();
	kill(f.g.pid, SIGKILL);
	cr_assert_eq(gw_wait(&f.g, 5000), -1);
	cr_assert_geq(etcd_wait_count(&e, PREFIX, 0, 10000), 0,
		      "the lease expired");
	/* nothing deleted it: the lease (TTL 2 s) ran out, no later than
	 * the generous bound above */
	ms = ms_now() - t0;
	cr_log_info("key gone %ld ms after SIGKILL (ttl 2 s)", ms);
	fx_end(&f);
	etcd_register_stop(&e);
}

Test(discovery, etcd_restart_registers_again)
{
	struct etcd_srv e;
	struct fx f;
	long ms;

	NEED_ETCD();
	cr_assert_eq(etcd_register_start(&e, NULL, "127.0.0.1", 0), 0);
	etcd_gw(&f, &e, NULL, "2");
	cr_assert_geq(etcd_wait_count(&e, PREFIX, 1, 5000), 0);
	etcd_kill(&e);
	/* etcd away: the gateway notices at its next renewal, serves on */
	for (long end = ms_now() + 30000;
	     fx_metric(&f, "sockgate_etcd_registered") != 0 && ms_now() < end;
	     ms_sleep(50))
		;
	cr_assert_eq(fx_metric(&f, "sockgate_etcd_registered"), 0,
		     "etcd's absence noticed (log %s)", f.g.log);
	fx_round_trip(fx_dial_echo(&f), "etcd is away");
	close(f.fd);
	f.fd = -1;
	/* several failed attempts before it comes back */
	cr_assert_geq(fx_metric_wait(&f, "sockgate_etcd_failures_total", 3,
				     30000),
		      3, "attempts while etcd was away (log %s)", f.g.log);
	/* a new etcd, with none of the old leases */
	cr_assert_eq(etcd_restart(&e), 0);
	ms = etcd_wait_count(&e, PREFIX, 1, 30000);
	cr_log_info("registered again %ld ms after etcd came back", ms);
	cr_assert_geq(ms, 0, "registered again");
	assert_registered(&e, &f, NULL);
	cr_assert_eq(fx_metric_wait(&f, "sockgate_etcd_registered", 1, 3000),
		     1);
	cr_assert_gt(fx_metric(&f, "sockgate_etcd_failures_total"), 2);
	/* many failed attempts, one line (the next after 30 s) */
	cr_assert_eq(gw_log_count(&f.g, "registering again once etcd answers"),
		     1);
	cr_assert_eq(gw_log_count(&f.g, "etcd: still failing"), 0);
	cr_assert_eq(gw_log_wait(&f.g, "again (lease", 1, 2000), 1);
	fx_wait_done(&f, 1);
	fx_end(&f);
	etcd_register_stop(&e);
}

Test(discovery, etcd_down_at_start)
{
	struct etcd_srv e;
	struct fx f;
	char url[48];
	uint16_t port = closed_port();

	NEED_ETCD();
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", port);
	fx_echo(&f, NULL,
		(const char *const[]){ "--etcd", url, "--etcd-ttl", "2",
				       NULL });
	fx_round_trip(fx_dial_echo(&f), "no etcd yet");
	close(f.fd);
	f.fd = -1;
	cr_assert_eq(etcd_register_start(&e, NULL, "127.0.0.1", port), 0);
	cr_assert_geq(etcd_wait_count(&e, PREFIX, 1, 8000), 0,
		      "registered once etcd is there");
	assert_registered(&e, &f, NULL);
	fx_end(&f);
	etcd_register_stop(&e);
}

static char *ctl_gateways(const struct etcd_srv *e, const char *opt, int *st)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "%s/sockgatectl --etcd %s %s gateways 2>&1",
		 sg_build(), e->url, opt);
	return run_cmd(cmd, st);
}

Test(discovery, ctl_lists_gateways)
{
	struct etcd_srv e;
	struct fx a, b;
	char wa[40], wb[40];
	char *out;
	int st;

	NEED_ETCD();
	cr_assert_eq(etcd_register_start(&e, NULL, "127.0.0.1", 0), 0);
	etcd_gw(&a, &e, NULL, "10");
	etcd_gw(&b, &e, "copy", "10");
	cr_assert_geq(etcd_wait_count(&e, PREFIX, 2, 5000), 0);
	snprintf(wa, sizeof(wa), "127.0.0.1:%u", a.g.port);
	snprintf(wb, sizeof(wb), "127.0.0.1:%u", b.g.port);
	out = ctl_gateways(&e, "", &st);
	cr_log_info("%s", out);
	cr_assert_eq(st, 0, "%s", out);
	cr_assert(strstr(out, "ADDR") && strstr(out, wa) && strstr(out, wb),
		  "%s", out);
	free(out);
	gw_stop(&b.g);
	b.g.pid = 0;
	out = ctl_gateways(&e, "--json", &st);
	cr_assert_eq(st, 0, "%s", out);
	snprintf(wa, sizeof(wa), "\"addr\":\"127.0.0.1:%u\"", a.g.port);
	cr_assert(strstr(out, wa) && !strstr(out, wb) &&
			  strstr(out, "\"key\":\"" PREFIX),
		  "%s", out);
	free(out);
	etcd_kill(&e);
	out = ctl_gateways(&e, "", &st);
	cr_assert_eq(st, 1, "%s", out);
	cr_assert(strstr(out, "Couldn't connect"), "%s", out);
	free(out);
	fx_end(&a);
	fx_end(&b);
	etcd_register_stop(&e);
}

Test(discovery, etcd_flags_checked)
{
	static const char *const bad[] = {
		/* a wildcard listener needs --advertise */
		"--etcd http://127.0.0.1:1 --addr 0.0.0.0:0",
		"--etcd ftp://127.0.0.1:1 --addr 127.0.0.1:0",
		"--etcd http://127.0.0.1:1 --advertise nope:0",
		"--etcd http://127.0.0.1:1 --advertise 127.0.0.1",
		"--etcd http://127.0.0.1:1 --etcd-ttl 0",
	};
	static const char *const why[] = { "--advertise", "--etcd",
					   "--advertise", "--advertise",
					   "--etcd-ttl" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char cmd[512];
		char *out;
		int st;

		snprintf(cmd, sizeof(cmd),
			 "SOCKGATE_SECRET=x %s/sockgate --pidfile '' %s 2>&1",
			 sg_build(), bad[i]);
		out = run_cmd(cmd, &st);
		cr_expect_eq(st, 2, "%s: exit %d: %s", bad[i], st, out);
		cr_expect(out && strstr(out, why[i]), "%s: %s", bad[i], out);
		free(out);
	}
}

Test(discovery, etcd_advertise_and_prefix)
{
	struct etcd_srv e;
	struct fx f;
	char *v;

	NEED_ETCD();
	cr_assert_eq(etcd_register_start(&e, NULL, "127.0.0.1", 0), 0);
	fx_echo(&f, NULL,
		(const char *const[]){ "--etcd", e.url, "--advertise",
				       "gw1.sg.test:7000", "--etcd-prefix",
				       "/other/", NULL });
	cr_assert_geq(etcd_wait_count(&e, "/other/gw1.sg.test:7000/", 1, 5000),
		      0);
	cr_assert_eq(etcd_count(&e, PREFIX), 0);
	v = etcd_values(&e, "/other/");
	cr_assert(v && strstr(v, "\"addr\":\"gw1.sg.test:7000\""), "%s", v);
	free(v);
	fx_end(&f);
	cr_assert_eq(etcd_count(&e, "/other/"), 0, "deleted at exit");
	etcd_register_stop(&e);
}

/* ---- several hosts: network namespaces ---- */

enum { H_CLIENT, H_GW1, H_GW2, H_BACKEND, H_ETCD, H_N };

static int echo_any(void *arg)
{
	return echo_start(arg, LISTEN_ANY4);
}

struct hop {
	const char *gw; /* "ip:port" the client dials */
	const char *token;
	char err[128];
};

/* On the client host: through hop->gw to the backend and back. */
static int client_session(void *arg)
{
	struct hop *h = arg;
	char host[32], code[4] = "", buf[32] = "";
	const char *msg = "across hosts";
	int fd, port;

	if (sscanf(h->gw, "%31[^:]:%d", host, &port) != 2)
		return -1;
	fd = tcp_connect(host, (uint16_t)port);
	if (fd < 0) {
		snprintf(h->err, sizeof(h->err), "connect %s failed", h->gw);
		return -1;
	}
	if (write_all(fd, h->token, strlen(h->token)) < 0 ||
	    write_all(fd, "\n", 1) < 0 || read_full(fd, code, 3, 5000) != 3 ||
	    strcmp(code, "200") != 0 || write_all(fd, msg, strlen(msg)) < 0 ||
	    read_full(fd, buf, strlen(msg), 5000) != (ssize_t)strlen(msg) ||
	    strcmp(buf, msg) != 0) {
		snprintf(h->err, sizeof(h->err), "via %s: status '%s', '%s'",
			 h->gw, code, buf);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* The gateways etcd lists, as the client host sees it: their "addr"s,
 * space separated, sorted. */
static void listed(const struct lan *l, const struct etcd_srv *e, char *out,
		   size_t len)
{
	char cmd[512];
	char *json, *p;
	int st;

	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/ip netns exec %s %s/sockgatectl --etcd %s --json "
		 "gateways 2>/dev/null | grep -o '\"addr\":\"[^\"]*\"' | "
		 "cut -d'\"' -f4 | sort | tr '\\n' ' '",
		 l->host[H_CLIENT], sg_build(), e->url);
	json = run_cmd(cmd, &st);
	snprintf(out, len, "%s", json ? json : "");
	free(json);
	p = out + strlen(out);
	while (p > out && p[-1] == ' ')
		*--p = '\0';
}

Test(discovery, hosts_client_follows_etcd, .timeout = 120)
{
	struct lan l;
	struct etcd_srv e;
	struct echo_srv be;
	struct gw g[2];
	char be_addr[40], list[256], want[96], url[48], addr[2][32];
	struct hop h;
	long ms;

	NEED_ETCD();
	cr_assert_eq(lan_create(&l, H_N), 0,
		     "five hosts on a bridge (ip netns, veth, bridge)");
	cr_assert_eq(etcd_register_start(&e, l.host[H_ETCD], lan_ip(H_ETCD),
					 2379),
		     0, "etcd on its own host");
	cr_assert_eq(in_netns(l.host[H_BACKEND], echo_any, &be), 0);
	snprintf(url, sizeof(url), "http://%s:2379", lan_ip(H_ETCD));
	for (int i = 0; i < 2; i++) {
		const char *const wrap[] = { "/usr/bin/ip", "netns", "exec",
					     l.host[H_GW1 + i], NULL };
		snprintf(addr[i], sizeof(addr[i]), "%s:7000",
			 lan_ip(H_GW1 + i));
		cr_assert_eq(gw_start_wrapped(
				     &g[i], 0, wrap,
				     (const char *const[]){
					     "--addr", addr[i], "--etcd", url,
					     "--etcd-ttl", "2", NULL }),
			     0, "gateway %d", i + 1);
	}
	cr_assert_geq(etcd_wait_count(&e, PREFIX, 2, 5000), 0,
		      "both registered");

	/* the client host reads etcd and reaches the backend through
	 * each gateway it lists */
	listed(&l, &e, list, sizeof(list));
	snprintf(want, sizeof(want), "%s %s", addr[0], addr[1]);
	cr_assert_str_eq(list, want);
	snprintf(be_addr, sizeof(be_addr), "%s:%u", lan_ip(H_BACKEND), be.port);
	h.token = ossl_token(TEST_SECRET, be_addr, NULL);
	for (int i = 0; i < 2; i++) {
		h.gw = addr[i];
		cr_assert_eq(in_netns(l.host[H_CLIENT], client_session, &h), 0,
			     "%s", h.err);
	}

	/* gateway 1's host drops off the network: its lease runs out, and
	 * the client's next pick is gateway 2 */
	cr_assert_eq(lan_cut(&l, H_GW1), 0);
	ms = etcd_wait_count(&e, PREFIX, 1, 8000);
	cr_log_info("gateway 1 left etcd %ld ms after its host was cut off "
		    "(ttl 2 s)",
		    ms);
	cr_assert_geq(ms, 0);
	listed(&l, &e, list, sizeof(list));
	cr_assert_str_eq(list, addr[1]);
	for (int i = 0; i < 3; i++) {
		h.gw = list;
		cr_assert_eq(in_netns(l.host[H_CLIENT], client_session, &h), 0,
			     "%s", h.err);
	}
	cr_assert_eq(atomic_load(&be.conns), 5);
	/* gateway 1 lives on, cut off, and said so once */
	cr_assert_eq(gw_log_wait(&g[0], "registering again once etcd answers",
				 1, 5000),
		     1);
	cr_assert_eq(gw_stop(&g[0]), 0);
	cr_assert_eq(gw_stop(&g[1]), 0);
	cr_assert_eq(etcd_wait_count(&e, PREFIX, 0, 3000) >= 0, 1);
	echo_stop(&be);
	etcd_register_stop(&e);
	lan_destroy(&l);
}

/* etcd over https with client certificates, as production etcd runs. */
Test(discovery, etcd_over_tls)
{
	struct etcd_srv e;
	struct fx f, nocert;
	char dir[64], ca[96], cert[96], key[96], cmd[768], want[40], *out;
	int st;

	NEED_ETCD();
	cr_assert_eq(tls_make(dir, sizeof(dir)), 0, "openssl made the certs");
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(cert, sizeof(cert), "%s/client.pem", dir);
	snprintf(key, sizeof(key), "%s/client.key", dir);
	cr_assert_eq(etcd_start_tls(&e, dir), 0,
		     "etcd with --client-cert-auth");
	fx_echo(&f, NULL,
		(const char *const[]){ "--etcd", e.url, "--etcd-cacert", ca,
				       "--etcd-cert", cert, "--etcd-key", key,
				       NULL });
	/* without a client certificate etcd refuses it: it serves on */
	fx_echo(&nocert, "copy",
		(const char *const[]){ "--etcd", e.url, "--etcd-cacert", ca,
				       NULL });
	cr_assert_geq(etcd_wait_count(&e, PREFIX, 1, 5000), 0);
	assert_registered(&e, &f, NULL);
	cr_assert_eq(gw_log_wait(&nocert.g,
				 "registering again once etcd "
				 "answers",
				 1, 5000),
		     1);
	fx_round_trip(fx_dial_echo(&nocert), "served without etcd");
	close(nocert.fd);
	nocert.fd = -1;
	snprintf(cmd, sizeof(cmd),
		 "%s/sockgatectl --etcd %s --etcd-cacert %s --etcd-cert %s "
		 "--etcd-key %s gateways 2>&1",
		 sg_build(), e.url, ca, cert, key);
	out = run_cmd(cmd, &st);
	snprintf(want, sizeof(want), "127.0.0.1:%u ", f.g.port);
	cr_assert(st == 0 && strstr(out, want), "%s", out);
	free(out);
	cr_assert_eq(etcd_count(&e, PREFIX), 1, "the one with a certificate");
	fx_end(&f);
	cr_assert_eq(etcd_count(&e, PREFIX), 0, "deleted at exit over TLS");
	fx_end(&nocert);
	etcd_register_stop(&e);
	rm_tree(dir);
}
