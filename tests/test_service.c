// SPDX-License-Identifier: MIT
/*
 * The gateway as a service: make install, the systemd unit, the man
 * pages, /sessions.json and the status page in a real browser, and the
 * endpoint under idle connections and fd exhaustion.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "peers.h"
#include "sockgate.h"

/* a test that needs longer says so */
TestSuite(service, .timeout = 60);

/* The source tree: the nearest parent of the build directory with the
 * Makefile (build/ or build/asan/; not in the guests). */
static const char *repo(void)
{
	static char path[512];
	char mk[560];

	snprintf(path, sizeof(path), "%s/..", sg_build());
	for (int i = 0; i < 3; i++) {
		snprintf(mk, sizeof(mk), "%s/Makefile", path);
		if (access(mk, F_OK) == 0)
			break;
		strncat(path, "/..", sizeof(path) - strlen(path) - 1);
	}
	return path;
}

static int sh_ok(const char *cmd, char **out)
{
	int st;
	char *o = run_cmd(cmd, &st);

	if (out)
		*out = o;
	else
		free(o);
	return st;
}

Test(service, make_install_unit_and_man_pages, .timeout = 120)
{
	static const struct {
		const char *path;
		int mode;
	} files[] = {
		{ "usr/local/sbin/sockgate", 0755 },
		{ "usr/local/bin/sockgatectl", 0755 },
		{ "usr/local/lib/systemd/system/sockgate.service", 0644 },
		{ "usr/local/lib/sysusers.d/sockgate.conf", 0644 },
		{ "usr/local/share/man/man8/sockgate.8", 0644 },
		{ "usr/local/share/man/man8/sockgatectl.8", 0644 },
		{ "etc/sockgate", 0750 },
		{ "etc/sockgate/sockgate.conf", 0640 },
	};
	char d[64], cmd[1024], *out;
	struct stat st;

	if (sg_light())
		return; /* the guests have no source tree and no make */
	snprintf(d, sizeof(d), "/tmp/sginst.%d", getpid());
	snprintf(cmd, sizeof(cmd),
		 "rm -rf %s && make -s -C %s install BUILD=%s DESTDIR=%s 2>&1",
		 d, repo(), sg_build(), d);
	cr_assert_eq(sh_ok(cmd, &out), 0, "make install: %s", out);
	free(out);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char p[256];

		snprintf(p, sizeof(p), "%s/%s", d, files[i].path);
		cr_assert_eq(stat(p, &st), 0, "%s installed", files[i].path);
		cr_assert_eq(st.st_mode & 07777, files[i].mode, "%s mode %o",
			     files[i].path, st.st_mode & 07777);
	}
	/* a file there already is never overwritten, nor the directory's
	 * mode changed */
	snprintf(
		cmd, sizeof(cmd),
		"echo mine > %s/etc/sockgate/secret && chmod 0750 %s/etc/sockgate && "
		"make -s -C %s install BUILD=%s DESTDIR=%s >/dev/null && "
		"cat %s/etc/sockgate/secret && stat -c %%a %s/etc/sockgate",
		d, d, repo(), sg_build(), d, d, d);
	cr_assert_eq(sh_ok(cmd, &out), 0);
	cr_assert_str_eq(out, "mine\n750");
	free(out);
	/* the unit as installed with a real prefix: systemd-analyze verify
	 * checks its syntax, its commands and its man pages */
	snprintf(
		cmd, sizeof(cmd),
		"make -s -C %s install BUILD=%s PREFIX=%s/p SYSCONFDIR=%s/p/etc "
		"SYSUSERS= "
		">/dev/null && MANPATH=%s/p/share/man systemd-analyze verify "
		"%s/p/lib/systemd/system/sockgate.service 2>&1",
		repo(), sg_build(), d, d, d, d);
	cr_assert_eq(sh_ok(cmd, &out), 0, "systemd-analyze verify: %s", out);
	cr_assert_str_eq(out, "", "no complaint");
	free(out);
	/* its exposure (systemd-analyze security) at most 3.0 */
	snprintf(cmd, sizeof(cmd),
		 "systemd-analyze security --offline=true --root=%s/p "
		 "--threshold=30 sockgate.service 2>&1 | tail -1",
		 d);
	cr_assert_eq(sh_ok(cmd, &out), 0, "systemd-analyze security: %s", out);
	cr_log_info("%s", out);
	free(out);
	/* the configuration file the unit names parses (--help exits once
	 * the file and the command line are read) */
	snprintf(cmd, sizeof(cmd),
		 "grep -q 'ExecStart=%s/p/sbin/sockgate --config "
		 "%s/p/etc/sockgate/sockgate.conf$' "
		 "%s/p/lib/systemd/system/sockgate.service && "
		 "grep -q '^secret-file %s/p/etc/sockgate/secret$' "
		 "%s/p/etc/sockgate/sockgate.conf && "
		 "%s/p/sbin/sockgate --config %s/p/etc/sockgate/sockgate.conf "
		 "--help >/dev/null",
		 d, d, d, d, d, d, d);
	cr_assert_eq(sh_ok(cmd, &out), 0, "the shipped configuration: %s", out);
	free(out);
	/* that --help, the man page and the README list the same flags:
	 * the unit tier's flags::help_man_page_and_readme_agree */
	/* the man pages render without a warning */
	for (int i = 0; i < 2; i++) {
		snprintf(cmd, sizeof(cmd),
			 "MANWIDTH=80 man --warnings -l %s/usr/local/share/man/"
			 "man8/%s.8 2>&1 >/dev/null",
			 d, i ? "sockgatectl" : "sockgate");
		cr_assert_eq(sh_ok(cmd, &out), 0);
		cr_assert_str_eq(out, "", "man -l: %s", out);
		free(out);
	}
	snprintf(cmd, sizeof(cmd),
		 "make -s -C %s uninstall BUILD=%s DESTDIR=%s >/dev/null && "
		 "find %s/usr %s/etc -type f | sort",
		 repo(), sg_build(), d, d, d);
	cr_assert_eq(sh_ok(cmd, &out), 0);
	cr_assert(strstr(out, "sbin/sockgate") == NULL, "uninstalled: %s", out);
	cr_assert(strstr(out, "etc/sockgate/secret") != NULL, "the secret "
							      "stays");
	free(out);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", d);
	sh_ok(cmd, NULL);
}

/*
 * make deb: a package lintian passes with no error or warning (pedantic
 * included), its conffile the configuration, its dependencies the
 * runtime libraries, its binaries the ones that run, and its maintainer
 * scripts valid shell.
 */
Test(service, make_deb_and_lintian, .timeout = 300)
{
	char d[64], cmd[1536], *out;

	if (sg_light())
		return; /* the guests have no source tree */
	snprintf(d, sizeof(d), "/tmp/sgdeb.%d", getpid());
	snprintf(cmd, sizeof(cmd),
		 "rm -rf %s && make -s -C %s deb BUILD=%s 2>&1 && ls %s/*.deb",
		 d, repo(), d, d);
	cr_assert_eq(sh_ok(cmd, &out), 0, "make deb: %s", out);
	cr_assert(strstr(out, "/sockgate_" SG_VERSION "_"), "%s", out);
	free(out);
	snprintf(cmd, sizeof(cmd),
		 "lintian --fail-on error,warning --pedantic %s/*.deb 2>&1 | "
		 "grep -v 'running with root privileges'",
		 d);
	sh_ok(cmd, &out);
	cr_assert_str_eq(out, "", "lintian: %s", out);
	free(out);
	snprintf(
		cmd, sizeof(cmd),
		"cd %s && dpkg-deb -f *.deb Depends && "
		"dpkg-deb --ctrl-tarfile *.deb | tar -xO ./conffiles && "
		"mkdir x && dpkg-deb -x *.deb x && "
		"x/usr/sbin/sockgate --version && "
		"x/usr/sbin/sockgate --config x/etc/sockgate/sockgate.conf "
		"--help >/dev/null && "
		"dpkg-deb --ctrl-tarfile *.deb | tar -x ./postinst ./postrm && "
		"sh -n postinst && sh -n postrm && "
		"python3 -c \"import sys; "
		"sys.path.insert(0, 'x/usr/share/sockgate/issuers'); "
		"import sockgate_issuer as i; "
		"print('issued', i.issue_token('127.0.0.1:1', 's')[0])\" && "
		"grep -q 'ExecStart=/usr/sbin/sockgate --config "
		"/etc/sockgate/sockgate.conf' "
		"x/lib/systemd/system/sockgate.service",
		d);
	cr_assert_eq(sh_ok(cmd, &out), 0, "%s", out);
	cr_assert(strstr(out, "libbpf1") && strstr(out, "libssl3"),
		  "the runtime libraries: %s", out);
	cr_assert(strstr(out, "/etc/sockgate/sockgate.conf\n"),
		  "the conffile: %s", out);
	cr_assert(strstr(out, "sockgate " SG_VERSION), "%s", out);
	cr_assert(strstr(out, "issued A"), "the packaged Python issuer: %s",
		  out);
	free(out);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", d);
	sh_ok(cmd, NULL);
}

/*
 * The shipped unit's own limits, without systemd as PID 1: the gateway
 * runs under exactly the unit's CapabilityBoundingSet (setpriv) and its
 * SystemCallFilter= (sg-seccomp: any other call kills it), as root
 * with --user, on a secret file in a directory laid out as make install
 * lays it and as the README says (root's, group the service user's, 0640
 * in 0750: nobody's nogroup stands in for sockgate). Without
 * CAP_DAC_OVERRIDE root reads the file as its owner, the service user
 * through its group. Mode auto must take the sockmap path, a reload
 * must read a new secret there, and the drain must end with status 0.
 */
static void unit_bounding_set(char *out, size_t len)
{
	char path[600], line[512], *p, *tok, *save;
	FILE *f;
	size_t n;

	/* the guests get the unit beside the binaries */
	snprintf(path, sizeof(path), "%s/sockgate.service.in", sg_build());
	if (access(path, R_OK) != 0)
		snprintf(path, sizeof(path), "%s/dist/sockgate.service.in",
			 repo());
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	p = NULL;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapabilityBoundingSet=", 22)) {
			p = line + 22;
			break;
		}
	fclose(f);
	cr_assert_not_null(p, "CapabilityBoundingSet in %s", path);
	n = (size_t)snprintf(out, len, "--bounding-set=-all");
	for (tok = strtok_r(p, " \n", &save); tok && n < len;
	     tok = strtok_r(NULL, " \n", &save)) {
		cr_assert(!strncmp(tok, "CAP_", 4), "%s", tok);
		n += (size_t)snprintf(out + n, len - n, ",+");
		for (tok += 4; *tok && n + 1 < len; tok++)
			out[n++] = (char)tolower((unsigned char)*tok);
		out[n] = '\0';
	}
}

/* The unit's SystemCallFilter= as a list of calls, into path (its
 * groups expanded by systemd-analyze). 0, or -1 (no systemd-analyze:
 * the guests). */
static int unit_syscalls(const char *path)
{
	char cmd[1400], unit[512];

	snprintf(unit, sizeof(unit), "%s/dist/sockgate.service.in", repo());
	snprintf(cmd, sizeof(cmd),
		 "command -v systemd-analyze >/dev/null || exit 1; "
		 "expand() { systemd-analyze syscall-filter \"$1\" | "
		 "tail -n +2 | while read -r s; do case $s in '#'*|'') ;; "
		 "@*) expand \"$s\" ;; *) echo \"$s\" ;; esac; done; }; "
		 "for t in $(sed -n 's/^SystemCallFilter=//p' %s); do "
		 "case $t in @*) expand $t ;; *) echo $t ;; esac; done "
		 "| sort -u >%s && grep -qx bpf %s && grep -qx splice %s",
		 unit, path, path, path);
	return sh_ok(cmd, NULL) == 0 ? 0 : -1;
}

Test(service, unit_limits_sockmap_and_secret_reload, .timeout = 120)
{
	char bset[256], etc[128], sf[160], cmd[1024], calls[96], sc[160], *out;
	const char *wrap[] = { sc, calls, "setpriv", bset, "--", NULL };
	const char *args[] = { "--user", "nobody", "--secret-file", sf, NULL };
	struct fx f;
	int fd;

	unit_bounding_set(bset, sizeof(bset));
	/* and the unit's system call filter, where systemd-analyze can
	 * list it (not in the guests) */
	snprintf(calls, sizeof(calls), "/tmp/sgcalls.%d", getpid());
	snprintf(sc, sizeof(sc), "%s/sg-seccomp", sg_build());
	/* not under AddressSanitizer: its leak check at exit ptraces,
	 * which no service's filter allows */
	if (getenv("ASAN_OPTIONS") || unit_syscalls(calls) < 0 ||
	    access(sc, X_OK) != 0) {
		cr_assert(sg_light() || getenv("ASAN_OPTIONS"),
			  "the unit's system calls: no list");
		wrap[0] = "setpriv";
		wrap[1] = bset;
		wrap[2] = "--";
		wrap[3] = NULL;
	}
	cr_assert(strstr(bset, "+perfmon"),
		  "the verifier needs CAP_PERFMON: "
		  "%s",
		  bset);
	snprintf(etc, sizeof(etc), "/tmp/sgunit.%d", getpid());
	if (!sg_light())
		snprintf(cmd, sizeof(cmd),
			 "rm -rf %s && make -s -C %s install BUILD=%s "
			 "DESTDIR=%s SERVICE_GROUP=nogroup >/dev/null 2>&1",
			 etc, repo(), sg_build(), etc);
	else /* no make in the guests: the same layout by hand */
		snprintf(cmd, sizeof(cmd),
			 "rm -rf %s && mkdir -p %s/etc/sockgate && "
			 "chmod 0750 %s/etc/sockgate && "
			 "chgrp nogroup %s/etc/sockgate",
			 etc, etc, etc, etc);
	cr_assert_eq(sh_ok(cmd, NULL), 0, "%s", cmd);
	snprintf(sf, sizeof(sf), "%s/etc/sockgate/secret", etc);
	snprintf(cmd, sizeof(cmd),
		 "stat -c '%%a %%U %%G' %s/etc/sockgate && echo '%s' >%s && "
		 "chgrp nogroup %s && chmod 0640 %s",
		 etc, TEST_SECRET, sf, sf, sf);
	out = run_cmd(cmd, NULL);
	cr_assert_str_eq(out, "750 root nogroup", "the directory as installed");
	free(out);

	memset(&f, 0, sizeof(f));
	f.fd = -1;
	f.mode = "auto";
	{
		const char *all[] = { "--pprof", "127.0.0.1:0", args[0],
				      args[1],	 args[2],	args[3],
				      NULL };

		cr_assert_eq(gw_start_wrapped(&f.g, 0, wrap, all), 0,
			     "started under %s", bset);
	}
	f.mport = f.g.mport;
	gw_pin_dir(&f.g, f.pin, sizeof(f.pin));
	cr_assert_eq(gw_log_count(&f.g, "mode auto: sockmap"), 1,
		     "the kernel path under the unit's bounding set (log %s)",
		     f.g.log);
	cr_assert_eq(echo_start(&f.own, 0), 0);
	f.echo = 1;
	f.be = &f.own;
	fd = fx_dial_echo(&f);
	fx_round_trip(fd, "under the unit");
	/* a stream moves to sockmap under the unit's limits */
	fx_stream_to_sockmap(&f, fd);
	fx_round_trip(fd, "in the kernel");
	close(fd);
	f.fd = -1;

	/* a new secret, the old one gone: SIGHUP as nobody reads it */
	snprintf(cmd, sizeof(cmd), "echo 'rotated secret' >%s", sf);
	cr_assert_eq(sh_ok(cmd, NULL), 0);
	kill(f.g.pid, SIGHUP);
	cr_assert_eq(fx_metric_wait(&f,
				    "sockgate_reloads_total{result="
				    "\"ok\"} ",
				    1, 10000),
		     1, "the reload read the file as nobody (log %s)", f.g.log);
	cr_assert_eq(fx_metric(&f, "sockgate_reloads_total{result="
				   "\"failed\"} "),
		     0);
	cr_assert_eq(gw_dial_token(f.g.port,
				   ossl_token("rotated secret",
					      loop_addr(f.be->port), NULL),
				   &fd),
		     200, "the new secret opens");
	close(fd);
	cr_assert_eq(gw_dial_token(f.g.port, loop_token(f.be->port), &fd), 401,
		     "the old one no longer");
	close(fd);
	fx_end(&f);
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", etc, calls);
	sh_ok(cmd, NULL);
}

/* GET path until its body holds want (30 s at most); the last body. */
static char *get_until(uint16_t port, const char *path, const char *want)
{
	char *body = NULL;

	for (long end = ms_now() + 30000; ms_now() < end; ms_sleep(20)) {
		free(body);
		body = http_get(port, path, NULL);
		if (body && strstr(body, want))
			break;
	}
	return body;
}

/* One live session in each mode: /sessions.json lists it with its
 * addresses and path, and its byte counts follow the traffic (for
 * sockmap the kernel's counters). sockgatectl sessions says the same. */
MODE_TEST(service, sessions_json_every_mode, M_ALL)
{
	char want[128], *json, cmd[256], *out;
	struct sockaddr_in cl;
	socklen_t len = sizeof(cl);
	struct fx f;
	int fd;

	fx_echo(&f, mode, NULL);
	fd = fx_dial_echo(&f);
	getsockname(fd, (struct sockaddr *)&cl, &len);
	fx_round_trip(fd, "12345");
	json = get_until(f.mport, "/sessions.json", "\"up\":5,\"down\":5");
	cr_assert_not_null(json);
	snprintf(want, sizeof(want), "\"client\":\"127.0.0.1:%u\"",
		 ntohs(cl.sin_port));
	cr_assert(strstr(json, want), "%s: %s", want, json);
	snprintf(want, sizeof(want), "\"backend\":\"127.0.0.1:%u\"",
		 f.be->port);
	cr_assert(strstr(json, want), "%s", json);
	snprintf(want, sizeof(want), "\"mode\":\"%s\"", mode);
	cr_assert(strstr(json, want), "%s", json);
	cr_assert(strstr(json, "\"up\":5,\"down\":5"), "%s", json);
	free(json);
	fx_round_trip(fd, "678");
	json = get_until(f.mport, "/sessions.json", "\"up\":8,\"down\":8");
	cr_assert(strstr(json, "\"up\":8,\"down\":8"), "counts follow: %s",
		  json);
	free(json);
	snprintf(cmd, sizeof(cmd),
		 "%s/sockgatectl --pprof 127.0.0.1:%u sessions", sg_build(),
		 f.mport);
	out = run_cmd(cmd, NULL);
	snprintf(want, sizeof(want), "127.0.0.1:%u", ntohs(cl.sin_port));
	cr_assert(strstr(out, want) && strstr(out, mode), "%s", out);
	free(out);
	fx_end(&f);
}

/* Process CPU seconds so far (user + system), from /proc. */
static double cpu_s(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f)) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2,
			 "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%lu %lu",
			 &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/*
 * The status page in a real browser (chromium, headless): it shows the
 * live session's addresses, and its numbers change while bytes flow. A
 * screenshot goes to the build directory (the README shows one).
 */
Test(service, status_page_in_chromium, .timeout = 120)
{
	char cmd[512], want[64], *dom1, *dom2, *p;
	struct sockaddr_in cl;
	socklen_t len = sizeof(cl);
	struct fx f;
	int fd;

	if (sg_light())
		return; /* no browser in the guests */
	fx_echo(&f, NULL, NULL);
	fd = fx_dial_echo(&f);
	getsockname(fd, (struct sockaddr *)&cl, &len);
	fx_round_trip(fd, "first");
	snprintf(cmd, sizeof(cmd),
		 "chromium --headless --no-sandbox --disable-gpu "
		 "--virtual-time-budget=3000 --dump-dom http://127.0.0.1:%u/ "
		 "2>/dev/null",
		 f.mport);
	dom1 = run_cmd(cmd, NULL);
	snprintf(want, sizeof(want), "<td>127.0.0.1:%u</td>",
		 ntohs(cl.sin_port));
	cr_assert(strstr(dom1, want), "the session's client address: %s", dom1);
	for (int i = 0; i < 20; i++)
		fx_round_trip(fd, "more bytes through the gateway");
	dom2 = run_cmd(cmd, NULL);
	p = strstr(dom2, want);
	cr_assert(p, "%s", dom2);
	cr_assert(strstr(dom1, "<td class=\"n\">5</td>") &&
			  strstr(dom2, "<td class=\"n\">605</td>"),
		  "the byte counts moved: %s", p);
	snprintf(cmd, sizeof(cmd),
		 "chromium --headless --no-sandbox --disable-gpu "
		 "--hide-scrollbars --window-size=1000,420 "
		 "--virtual-time-budget=5000 --screenshot=%s/status.png "
		 "http://127.0.0.1:%u/ >/dev/null 2>&1",
		 sg_build(), f.mport);
	cr_assert_eq(sh_ok(cmd, NULL), 0, "a screenshot");
	free(dom1);
	free(dom2);
	fx_end(&f);
}

/* 300 idle connections to the endpoint: it holds a bounded number, the
 * gateway goes on serving sessions, and nothing spins. */
Test(service, endpoint_under_idle_connections)
{
	enum { IDLE = 300 };
	static int idle[IDLE];
	struct fx f;
	double c0;

	fx_echo(&f, NULL, NULL);
	for (int i = 0; i < IDLE; i++)
		idle[i] = tcp_connect("127.0.0.1", f.mport);
	c0 = cpu_s(f.g.pid);
	for (int i = 0; i < 10; i++) {
		fx_round_trip(fx_dial_echo(&f), "still served");
		close(f.fd);
		usleep(100000);
	}
	f.fd = -1;
	cr_assert_lt(cpu_s(f.g.pid) - c0, 0.5,
		     "no spin while the endpoint is full");
	for (int i = 0; i < IDLE; i++)
		if (idle[i] >= 0)
			close(idle[i]);
	/* and it answers again */
	for (int i = 0; i < 50 && fx_metric(&f, "sockgate_accepted_total ") < 0;
	     i++)
		usleep(100000);
	cr_assert_eq(fx_metric(&f, "sockgate_accepted_total "), 10);
	fx_end(&f);
}

/* With its fds exhausted, the endpoint's failing accepts do not spin a
 * CPU (the hand-written one did), and sessions resume once fds free. */
Test(service, endpoint_under_fd_exhaustion)
{
	enum { N = 40 };
	const char *args[] = { "--mode",    "copy", "--pprof", "127.0.0.1:0",
			       "--workers", "1",    NULL };
	int held[N], metrics[8];
	struct gw g;
	double c0;
	char *tok;

	cr_assert_eq(gw_start(&g, 32, args), 0);
	for (int i = 0; i < N; i++)
		held[i] = tcp_connect("127.0.0.1", g.port);
	cr_assert_geq(gw_log_wait(&g, "pausing accepts until fds free up", 1,
				  30000),
		      1, "the sessions' accepts hit EMFILE (log %s)", g.log);
	for (int i = 0; i < 8; i++)
		metrics[i] = tcp_connect("127.0.0.1", g.mport);
	cr_assert_geq(gw_log_wait(&g, "metrics endpoint: accept:", 1, 30000), 1,
		      "the endpoint's accepts hit EMFILE (log %s)", g.log);
	/* a spinning accept loop would take most of these 2 s */
	c0 = cpu_s(g.pid);
	sleep(2);
	cr_assert_lt(cpu_s(g.pid) - c0, 0.5, "no spin at EMFILE (log %s)",
		     g.log);
	for (int i = 0; i < N; i++)
		close(held[i]);
	for (int i = 0; i < 8; i++)
		close(metrics[i]);
	{
		struct echo_srv e;
		int fd;

		cr_assert_eq(echo_start(&e, 0), 0);
		tok = loop_token(e.port);
		cr_assert_eq(gw_dial_token(g.port, tok, &fd), 200,
			     "serves again");
		fx_round_trip(fd, "recovered");
		close(fd);
		echo_stop(&e);
	}
	cr_assert_eq(gw_stop(&g), 0);
}

/*
 * 64 clients (16 from each of four addresses: every slot) each send a
 * request one byte at a time, a byte a second, never finishing it. The
 * endpoint gives a request 5 s in all, not 5 s between bytes: it closes
 * every one of them, and then serves GET /metrics again.
 */
Test(service, endpoint_closes_slow_requests, .timeout = 120)
{
	enum { SLOW = 64 };
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n";
	int slow[SLOW], open_left = SLOW, closed_by_us = 0;
	long long accepted = -1;
	struct fx f;
	char src[16];

	fx_gw(&f, "copy", NULL);
	for (int i = 0; i < SLOW; i++) {
		snprintf(src, sizeof(src), "127.0.0.%u",
			 (unsigned)(2 + i / 16) & 0xff);
		slow[i] = tcp_connect_from(src, f.mport);
		cr_assert_geq(slow[i], 0, "slow client %d", i);
	}
	/* a byte a second each, until the endpoint has closed them all or
	 * 60 s have passed (the request is 32 bytes long) */
	for (size_t k = 0; open_left && k < sizeof(req) - 1; k++) {
		for (int i = 0; i < SLOW; i++) {
			char c;

			if (slow[i] < 0)
				continue;
			/* the end, or a reset: closed by the endpoint */
			if (recv(slow[i], &c, 1, MSG_DONTWAIT) == 0 ||
			    (errno != EAGAIN && errno != EWOULDBLOCK) ||
			    send(slow[i], &req[k], 1, MSG_NOSIGNAL) != 1) {
				close(slow[i]);
				slow[i] = -1;
				open_left--;
			}
		}
		ms_sleep(1000); /* the attack's pace, not a wait for a result */
	}
	for (int i = 0; i < SLOW; i++) {
		if (slow[i] < 0)
			continue;
		closed_by_us++;
		close(slow[i]);
	}
	cr_assert_eq(closed_by_us, 0,
		     "%d of %d slow requests still open after %zu s",
		     closed_by_us, SLOW, sizeof(req) - 1);
	for (long end = ms_now() + 10000; accepted < 0 && ms_now() < end;
	     ms_sleep(100))
		accepted = fx_metric(&f, "sockgate_accepted_total ");
	cr_assert_eq(accepted, 0, "GET /metrics answered again");
	fx_end(&f);
}
