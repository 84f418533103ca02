// SPDX-License-Identifier: MIT
/*
 * Who may reach what: destination rules, the gateway never reaching
 * itself, version 2 tokens, the PROXY header, least privilege, the
 * original gateway's strict handshake, fair handshakes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "peers.h"
#include "auth/token_v2.h"

/* a test that needs longer says so */
TestSuite(security, .timeout = 60);

#define REFUSED_ALLOW "sockgate_refused_total{reason=\"allowlist\"} "
#define REFUSED_SELF "sockgate_refused_total{reason=\"self\"} "

static int dial_addr(const struct fx *f, const char *addr)
{
	return gw_dial_token(f->g.port, ossl_token(TEST_SECRET, addr, NULL),
			     NULL);
}

/* ------------------------------------------------------ allowlist -- */

Test(security, allow_rules_ports_and_names)
{
	struct echo_srv other, mine;
	char rule[64], a[64];
	const char *args[] = { "--allow", rule, NULL };
	struct fx f;

	cr_assert_eq(echo_start(&other, 0), 0);
	/* the echo backend's port, and nothing else */
	fx_gw(&f, NULL, NULL);
	cr_assert_eq(gw_log_count(&f.g, "no --allow rule"), 1, "warned");
	fx_end(&f);
	cr_assert_eq(echo_start(&mine, 0), 0);
	snprintf(rule, sizeof(rule), "127.0.0.0/8:%u-%u", mine.port, mine.port);
	fx_gw(&f, NULL, args);
	fx_use_echo(&f, &mine);
	cr_assert_eq(gw_log_count(&f.g, "no --allow rule"), 0);
	cr_assert_eq(dial_addr(&f, loop_addr(f.be->port)), 200);
	cr_assert_eq(dial_addr(&f, loop_addr(other.port)), 401,
		     "another port: the same answer as a bad token");
	/* a name whose address is outside the rules */
	snprintf(a, sizeof(a), "localhost:%u", other.port);
	cr_assert_eq(dial_addr(&f, a), 401);
	cr_assert_eq(fx_metric(&f, REFUSED_ALLOW), 2);
	cr_assert_eq(fx_metric(&f, "sockgate_connect_attempts_total "), 1,
		     "no connect for a refused one");
	fx_end(&f);
	echo_stop(&mine);
	echo_stop(&other);
}

Test(security, allow_rules_ipv6)
{
	struct echo_srv e6;
	char rule[64], a[64];
	const char *v6[] = { "--allow", rule, NULL };
	const char *v4[] = { "--allow", "127.0.0.1/32", NULL };
	struct fx f;

	cr_assert_eq(echo_start(&e6, 1), 0);
	snprintf(a, sizeof(a), "[::1]:%u", e6.port);
	snprintf(rule, sizeof(rule), "[::1]/128:%u", e6.port);
	fx_gw(&f, NULL, v6);
	cr_assert_eq(dial_addr(&f, a), 200);
	fx_end(&f);
	fx_gw(&f, NULL, v4);
	cr_assert_eq(dial_addr(&f, a), 401, "an IPv4 rule takes no IPv6");
	fx_end(&f);
	echo_stop(&e6);
}

/* Its own listener and metrics endpoint, however they are written, with
 * rules that would allow them and without rules. */
Test(security, never_connects_to_itself)
{
	const char *wide[] = { "--allow", "127.0.0.0/8", "--allow", "::/0",
			       "--allow", "0.0.0.0/0",	 NULL };
	struct fx f;

	for (int pass = 0; pass < 2; pass++) {
		char a[6][64];

		fx_gw(&f, NULL, pass ? wide : NULL);
		snprintf(a[0], 64, "127.0.0.1:%u", f.g.port);
		snprintf(a[1], 64, "0.0.0.0:%u", f.g.port);
		snprintf(a[2], 64, "[::ffff:127.0.0.1]:%u", f.g.port);
		snprintf(a[3], 64, "localhost:%u", f.g.port);
		snprintf(a[4], 64, "127.0.0.1:%u", f.mport);
		snprintf(a[5], 64, "0.0.0.0:%u", f.mport);
		for (int i = 0; i < 6; i++)
			cr_assert_eq(dial_addr(&f, a[i]), 401, "%s (%s rules)",
				     a[i], pass ? "wide" : "no");
		cr_assert_eq(fx_metric(&f, REFUSED_SELF), 6);
		cr_assert_eq(fx_metric(&f, "sockgate_connect_attempts_total "),
			     0);
		fx_end(&f);
	}
}

/* A wildcard listener is itself on every local address. */
Test(security, never_connects_to_itself_wildcard)
{
	const char *args[] = { "--addr", "0.0.0.0:0", NULL };
	struct fx f;
	char a[64];

	fx_gw(&f, NULL, args);
	snprintf(a, sizeof(a), "127.0.0.2:%u", f.g.port);
	cr_assert_eq(dial_addr(&f, a), 401);
	/* an IPv4 listener takes no IPv6: no loop, the connect is refused */
	snprintf(a, sizeof(a), "[::1]:%u", f.g.port);
	cr_assert_eq(dial_addr(&f, a), 502);
	fx_end(&f);
}

Test(security, allow_file_reloaded)
{
	struct echo_srv other;
	char file[128], rule[64];
	const char *args[] = { "--allow-file", file, NULL };
	struct fx f;
	FILE *fp;

	cr_assert_eq(echo_start(&other, 0), 0);
	snprintf(file, sizeof(file), "/tmp/sgallow.%d", getpid());
	fp = fopen(file, "w");
	fprintf(fp, "# the echo backend\n127.0.0.1:%u\n", other.port);
	fclose(fp);
	fx_echo(&f, NULL, args);
	cr_assert_eq(dial_addr(&f, loop_addr(other.port)), 200);
	cr_assert_eq(dial_addr(&f, loop_addr(f.be->port)), 401);
	snprintf(rule, sizeof(rule), "127.0.0.1/32:%u\n", f.be->port);
	fp = fopen(file, "w");
	fputs(rule, fp);
	fclose(fp);
	kill(f.g.pid, SIGHUP);
	cr_assert_eq(gw_log_wait(&f.g, "1 destination rule", 1, 5000), 1);
	cr_assert_eq(dial_addr(&f, loop_addr(f.be->port)), 200);
	cr_assert_eq(dial_addr(&f, loop_addr(other.port)), 401);
	/* a line that is no rule keeps the rules loaded */
	fp = fopen(file, "w");
	fputs("300.1.2.3/8\n", fp);
	fclose(fp);
	kill(f.g.pid, SIGHUP);
	cr_assert_eq(gw_log_wait(&f.g, ":1: not a rule", 1, 5000), 1);
	cr_assert_eq(dial_addr(&f, loop_addr(f.be->port)), 200);
	fx_end(&f);
	unlink(file);
	echo_stop(&other);
}

/* ---------------------------------------------- version 2 tokens -- */

static char *ctl(const char *args, int *st)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "%s/sockgatectl --secret '%s' %s",
		 sg_build(), TEST_SECRET, args);
	return run_cmd(cmd, st);
}

static const char b64u[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static size_t unb64(const char *s, uint8_t *out)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;

	for (; *s; s++) {
		acc = acc << 6 | (uint32_t)(strchr(b64u, *s) - b64u);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return n;
}

static void b64(const uint8_t *in, size_t len, char *out)
{
	uint32_t acc = 0;
	int bits = 0;

	for (size_t i = 0; i < len; i++) {
		acc = acc << 8 | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			*out++ = b64u[(acc >> bits) & 63];
		}
	}
	if (bits)
		*out++ = b64u[(acc << (6 - bits)) & 63];
	*out = '\0';
}

/* sockgatectl's token reaches the backend; every byte flipped, or the
 * legacy form with --legacy-tokens off, does not. */
Test(security, v2_tokens_authenticated, .timeout = 120)
{
	const char *off[] = { "--legacy-tokens", "off", NULL };
	char args[96], *tok, flipped[512];
	uint8_t raw[256];
	struct fx f;
	size_t n;
	int st, fd;

	fx_echo(&f, NULL, off);
	snprintf(args, sizeof(args), "encrypt %s", loop_addr(f.be->port));
	tok = ctl(args, &st);
	cr_assert_eq(st, 0);
	cr_assert_eq(tok[0], 'A', "version 2: %s", tok);
	cr_assert_eq(gw_dial_token(f.g.port, tok, &fd), 200);
	fx_round_trip(fd, "v2");
	close(fd);
	n = unb64(tok, raw);
	cr_assert_eq(n, TOKEN_V2_HDR + strlen(loop_addr(f.be->port)) +
				TOKEN_V2_TAG);
	for (size_t i = 0; i < n; i++) {
		raw[i] ^= 0x01;
		b64(raw, n, flipped);
		cr_assert_eq(gw_dial_token(f.g.port, flipped, NULL), 401,
			     "byte %zu flipped", i);
		raw[i] ^= 0x01;
	}
	/* the flips' failures are summed up a second at a time: refused
	 * legacy tokens until a worker's window has passed and one of them
	 * is logged by name */
	for (long end = ms_now() + 30000;
	     !gw_log_count(&f.g, "legacy token refused") && ms_now() < end;
	     ms_sleep(100))
		cr_assert_eq(
			gw_dial_token(f.g.port, loop_token(f.be->port), NULL),
			401, "an openssl enc token, with --legacy-tokens off");
	cr_assert_geq(gw_log_count(&f.g, "legacy token refused"), 1, "log %s",
		      f.g.log);
	free(tok);
	fx_end(&f);
}

Test(security, v2_tokens_expire)
{
	char args[96], *tok;
	struct fx f;
	int st;

	long t0, code = 200;

	fx_echo(&f, NULL, NULL);
	/* 3 s: whole seconds, and time to reach the gateway in a guest */
	t0 = ms_now();
	snprintf(args, sizeof(args), "encrypt --ttl 3 %s",
		 loop_addr(f.be->port));
	tok = ctl(args, &st);
	cr_assert_eq(st, 0);
	code = gw_dial_token(f.g.port, tok, NULL);
	cr_assert(code == 200 || ms_now() - t0 >= 3000, "a fresh token: %ld",
		  code);
	cr_assert_eq(code, 200,
		     "this machine took %ld ms to make a token and dial: past "
		     "its 3 s TTL, the test cannot see it valid",
		     ms_now() - t0);
	/* then refused, once it has expired */
	for (long end = ms_now() + 30000; code == 200 && ms_now() < end;
	     ms_sleep(200))
		code = gw_dial_token(f.g.port, tok, NULL);
	cr_assert_eq(code, 401, "expired after %ld ms", ms_now() - t0);
	cr_assert_geq(ms_now() - t0, 3000 - 1000,
		      "not before its TTL (whole seconds)");
	cr_assert_geq(gw_log_wait(&f.g, "token expired", 1, 5000), 1);
	free(tok);
	fx_end(&f);
}

/*
 * --token-leeway: once a gateway without leeway refuses a 2 s token as
 * expired, one with a minute's leeway (an issuer whose clock is behind)
 * still takes it.
 */
Test(security, token_leeway_for_clocks_apart)
{
	struct fx strict;
	struct gw lenient;
	char args[96], *tok;
	long code = 200;
	int st;

	fx_echo(&strict, NULL, (const char *[]){ "--token-leeway", "0", NULL });
	cr_assert_eq(gw_start(&lenient, 0,
			      (const char *[]){ "--token-leeway", "60", NULL }),
		     0);
	snprintf(args, sizeof(args), "encrypt --ttl 2 %s",
		 loop_addr(strict.be->port));
	tok = ctl(args, &st);
	cr_assert_eq(st, 0);
	for (long end = ms_now() + 30000; code == 200 && ms_now() < end;
	     ms_sleep(200))
		code = gw_dial_token(strict.g.port, tok, NULL);
	cr_assert_eq(code, 401, "the strict gateway never saw it expire");
	cr_assert_geq(gw_log_wait(&strict.g, "token expired", 1, 5000), 1);
	cr_assert_eq(gw_dial_token(lenient.port, tok, NULL), 200,
		     "within the leeway");
	free(tok);
	cr_assert_eq(gw_stop(&lenient), 0);
	fx_end(&strict);
}

/* The README's test vectors (secret "sockgate test vector", nonce
 * 00..0b, address 127.0.0.1:1): our code makes them, sockgatectl and
 * the gateway read them, and so does an independent implementation
 * (Python's cryptography), which also issues a token the gateway takes. */
#define VECTOR \
	"AgAAAAAAAAAAAAECAwQFBgcICQoLiDfXmauvsGygJXFx_lhxU2s45Gy7M6dqQfq5"
#define VECTOR_EXPIRED \
	"AgAAAABpVbkAAAECAwQFBgcICQoLiDfXmauvsGygJXGwD7wdX5mbGW9_xJck37R5"
#define VECTOR_SECRET "sockgate test vector"

Test(security, v2_test_vector)
{
	static const uint8_t nonce[12] = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	};
	char out[256], cmd[1024], file[128], *plain;
	const char *args[] = { "--secret-file", file, NULL };
	struct fx f;
	FILE *fp;
	int st, fd;

	token_v2_seal(VECTOR_SECRET, strlen(VECTOR_SECRET), 0, nonce,
		      "127.0.0.1:1", 11, NULL, out, sizeof(out));
	cr_assert_str_eq(out, VECTOR);
	token_v2_seal(VECTOR_SECRET, strlen(VECTOR_SECRET), 1767225600, nonce,
		      "127.0.0.1:1", 11, NULL, out, sizeof(out));
	cr_assert_str_eq(out, VECTOR_EXPIRED, "expiry 2026-01-01T00:00:00Z");
	snprintf(cmd, sizeof(cmd),
		 "%s/sockgatectl --secret '" VECTOR_SECRET "' decrypt %s",
		 sg_build(), VECTOR);
	plain = run_cmd(cmd, &st);
	cr_assert_eq(st, 0);
	cr_assert_str_eq(plain, "127.0.0.1:1");
	free(plain);

	snprintf(file, sizeof(file), "/tmp/sgvec.%d", getpid());
	fp = fopen(file, "w");
	fputs(VECTOR_SECRET "\n", fp);
	fclose(fp);
	chmod(file, 0600);
	fx_echo(&f, NULL, args);
	cr_assert_eq(gw_dial_token(f.g.port, VECTOR, NULL), 502,
		     "opened (port 1 refuses the connect)");
	cr_assert_eq(gw_dial_token(f.g.port, VECTOR_EXPIRED, NULL), 401);

	/* Python: reads the vector, issues one for the echo backend (not in
	 * the emulated guests, which have no Python) */
	if (sg_light()) {
		fx_end(&f);
		unlink(file);
		return;
	}
	snprintf(
		cmd, sizeof(cmd),
		"python3 - <<'EOF'\n" PY_V2_KEY(
			VECTOR_SECRET) "t = '" VECTOR "'\n"
				       "raw = base64.urlsafe_b64decode(t + '=' * (-len(t) %% 4))\n"
				       "assert AESGCM(key).decrypt(raw[9:21], raw[21:], raw[:21]) == "
				       "b'127.0.0.1:1'\n"
				       "hdr = bytes([2]) + struct.pack('>Q', int(time.time()) + 60) "
				       "+ os.urandom(12)\n"
				       "ct = AESGCM(key).encrypt(hdr[9:21], b'%s', hdr)\n"
				       "print(base64.urlsafe_b64encode(hdr + ct).decode()"
				       ".rstrip('='))\n"
				       "EOF",
		loop_addr(f.be->port));
	plain = run_cmd(cmd, &st);
	cr_assert_eq(st, 0, "python3 with cryptography: %s", plain);
	cr_assert_eq(gw_dial_token(f.g.port, plain, &fd), 200,
		     "a token from Python: %s", plain);
	fx_round_trip(fd, "from python");
	close(fd);
	free(plain);
	fx_end(&f);
	unlink(file);
}

/* ------------------------------------------------- PROXY protocol -- */

struct pp_backend {
	int lfd;
	uint16_t port;
};

/* Through the gateway with "hello" in the token's segment; the raw
 * backend gets the header, then "hello", then echoes one message. */
static void proxy_case(const char *mode, int version)
{
	const char *args[] = { "--proxy-protocol", version == 1 ? "v1" : "v2",
			       NULL };
	struct pp_backend b;
	struct sockaddr_in cl;
	socklen_t cl_len = sizeof(cl);
	uint8_t got[256], want[128];
	char line[4200], buf[16] = "";
	size_t wlen;
	struct fx f;
	int n, bfd;

	b.lfd = tcp_listen(0, &b.port, 4);
	fx_gw(&f, mode, args);
	n = snprintf(line, sizeof(line), "%s\nhello", loop_token(b.port));
	cr_assert_eq(gw_dial(f.g.port, line, (size_t)n, &f.fd), 200);
	getsockname(f.fd, (struct sockaddr *)&cl, &cl_len);
	if (version == 1) {
		wlen = (size_t)snprintf(
			(char *)want, sizeof(want),
			"PROXY TCP4 127.0.0.1 127.0.0.1 %u %u\r\n",
			ntohs(cl.sin_port), f.g.port);
	} else {
		static const uint8_t sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a,
						 0x00, 0x0d, 0x0a, 0x51,
						 0x55, 0x49, 0x54, 0x0a };
		uint16_t sp = cl.sin_port, dp = htons(f.g.port);

		memcpy(want, sig, 12);
		memcpy(want + 12, "\x21\x11\x00\x0c", 4);
		memcpy(want + 16, "\x7f\x00\x00\x01\x7f\x00\x00\x01", 8);
		memcpy(want + 24, &sp, 2);
		memcpy(want + 26, &dp, 2);
		wlen = 28;
	}
	bfd = accept(b.lfd, NULL, NULL);
	cr_assert_geq(bfd, 0);
	cr_assert_eq(read_full(bfd, got, wlen + 5, 10000), (ssize_t)(wlen + 5));
	cr_assert_arr_eq(got, want, wlen, "%s v%d: the header first", mode,
			 version);
	cr_assert_arr_eq(got + wlen, "hello", 5, "then the leftover");
	cr_assert_eq(write_all(bfd, "world", 5), 5);
	cr_assert_eq(read_full(f.fd, buf, 5, 10000), 5);
	cr_assert_str_eq(buf, "world");
	/* and the FIN gets through (sockmap counts the header) */
	shutdown(f.fd, SHUT_WR);
	cr_assert_eq(read_to_eof(bfd, 10000), 0, "EOF at the backend");
	close(bfd);
	cr_assert_eq(read_to_eof(f.fd, 10000), 0, "EOF at the client");
	fx_wait_done(&f, 1);
	fx_end(&f);
	close(b.lfd);
}

MODE_TEST(security, proxy_protocol_v1, M_ALL | M_AUTO)
{
	proxy_case(mode, 1);
}

MODE_TEST(security, proxy_protocol_v2, M_ALL | M_AUTO)
{
	proxy_case(mode, 2);
}

/* ------------------------------------------------ least privilege -- */

static long long status_hex(pid_t pid, const char *key)
{
	char path[64], line[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtoll(line + strlen(key), NULL, 16);
	if (f)
		fclose(f);
	return v;
}

/*
 * --user nobody: after set-up the process has nobody's uid and only
 * CAP_NET_ADMIN; mode auto's sessions start on copy, move to sockmap and
 * end cleanly, and root's bpftool still reads the pinned maps. The pid
 * file, in a directory only root may write, was written before the drop;
 * at exit it stays (nobody may not remove it) and the pins go, their
 * directory included.
 */
Test(security, user_nobody_keeps_only_what_sockmap_needs)
{
	char dir[64], pidf[96];
	const char *args[] = { "--user", "nobody", "--pidfile", pidf, NULL };
	struct fx f;
	pid_t pid;
	int fd, n;

	snprintf(dir, sizeof(dir), "/tmp/sgnobody.%d", getpid());
	mkdir(dir, 0755);
	chmod(dir, 0755);
	snprintf(pidf, sizeof(pidf), "%s/pid", dir);
	fx_echo(&f, NULL, args);
	cr_assert_eq(pid_in(pidf), f.g.pid,
		     "the pid file, written as root (log %s)", f.g.log);
	{
		char cmd[128], *out;

		snprintf(cmd, sizeof(cmd),
			 "awk '/^Uid:/ { print $2, $3, $4 }' /proc/%d/status",
			 f.g.pid);
		out = run_cmd(cmd, NULL);
		cr_assert_str_eq(out, "65534 65534 65534",
				 "uid: real, "
				 "effective, saved");
		free(out);
	}
	cr_assert_eq(status_hex(f.g.pid, "CapEff:"), 0x1000,
		     "CAP_NET_ADMIN only (log %s)", f.g.log);
	cr_assert_eq(status_hex(f.g.pid, "CapPrm:"), 0x1000);
	cr_assert_eq(status_hex(f.g.pid, "CapBnd:"), 0x1000);
	fd = fx_dial_echo(&f);
	fx_round_trip(fd, "before the move");
	/* a stream moves to sockmap, as nobody */
	fx_stream_to_sockmap(&f, fd);
	fx_round_trip(fd, "after the move");
	n = fx_map_count(&f, "sessions");
	cr_assert_eq(n, 2, "root's bpftool reads the maps: %d (log %s)", n,
		     f.g.log);
	shutdown(fd, SHUT_WR);
	cr_assert_eq(read_to_eof(fd, 10000), 0);
	fx_wait_done(&f, 1);
	cr_assert_gt(fx_metric(&f, "sockgate_path_bytes_total{dir=\"up\","
				   "path=\"kernel\"} "),
		     0);
	pid = f.g.pid;
	fx_end(&f);
	cr_assert_eq(pid_in(pidf), pid, "the pid file stays, stale");
	cr_assert_neq(access(f.pin, F_OK), 0, "its pin directory removed");
	unlink(pidf);
	rmdir(dir);
}

/*
 * --user with the pid file held by a live process (a restart in the same
 * directory): taken at start, as root; the old process leaves it alone.
 */
Test(security, user_takes_a_held_pid_file_at_start)
{
	char dir[64], pidf[96];
	const char *a1[] = { "--pidfile", pidf, "--reuse", "1", NULL };
	const char *a2[] = { "--user", "nobody", "--pidfile", pidf, NULL };
	struct fx f1, f2;

	snprintf(dir, sizeof(dir), "/tmp/sgtake.%d", getpid());
	mkdir(dir, 0755);
	snprintf(pidf, sizeof(pidf), "%s/pid", dir);
	fx_gw(&f1, "copy", a1);
	cr_assert_eq(pid_in(pidf), f1.g.pid);
	fx_gw(&f2, "copy", a2);
	cr_assert_eq(pid_in(pidf), f2.g.pid, "taken (log %s)", f2.g.log);
	cr_assert_eq(gw_log_count(&f2.g, "taken from running process"), 1);
	fx_end(&f1);
	cr_assert_eq(pid_in(pidf), f2.g.pid, "the old one left it");
	fx_end(&f2);
	unlink(pidf);
	rmdir(dir);
}

/* With no capability at all the sockmap path still runs: map updates on
 * the maps it holds need none (only the larger send buffers would). */
Test(security, sockmap_needs_no_capability_at_run_time)
{
	char dir[64], pidf[96];
	const char *args[] = { "--user", "nobody",  "--pidfile", pidf,
			       "--mode", "sockmap", NULL };
	struct fx f;
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/sgnocap.%d", getpid());
	mkdir(dir, 01777);
	chmod(dir, 01777); /* nobody removes its pid file */
	snprintf(pidf, sizeof(pidf), "%s/pid", dir);
	setenv("SOCKGATE_TEST_KEEP_CAPS", "0", 1);
	fx_echo(&f, "sockmap", args);
	unsetenv("SOCKGATE_TEST_KEEP_CAPS");
	cr_assert_eq(status_hex(f.g.pid, "CapEff:"), 0);
	fd = fx_dial_echo(&f);
	fx_round_trip(fd, "no capability");
	shutdown(fd, SHUT_WR);
	cr_assert_eq(read_to_eof(fd, 10000), 0);
	fx_wait_done(&f, 1);
	cr_assert_eq(fx_metric(&f, "sockgate_path_bytes_total{dir=\"up\","
				   "path=\"kernel\"} "),
		     13, "the verdict redirected it");
	fx_end(&f);
	rmdir(dir);
}

/* Secrets: the environment's is scrubbed, a readable file refused. */
Test(security, secrets_kept_private)
{
	char cmd[1024], *out;
	int st;

	out = gw_sh("SOCKGATE_SECRET=env-only-secret", "--workers 1",
		    "tr '\\0' '\\n' </proc/$pid/environ | "
		    "grep -c env-only-secret",
		    ":", &st);
	/* overwritten in the process's original environment block, which
	 * is what /proc/PID/environ shows */
	cr_assert_str_eq(out, "0", "not in /proc/PID/environ: %s", out);
	free(out);
	snprintf(cmd, sizeof(cmd),
		 "d=$(mktemp -d); echo s > $d/secret; chmod 644 $d/secret; "
		 "%s/sockgate --addr 127.0.0.1:0 --secret-file $d/secret 2>&1; "
		 "echo \"exit $?\"; rm -rf $d",
		 sg_build());
	out = run_cmd(cmd, &st);
	cr_assert(strstr(out, "is open to others, or to a group other than "
			      "--user's: chmod 600 it") &&
			  strstr(out, "exit 1"),
		  "%s", out);
	free(out);
}

/* ------------------------------------------- the original's cases -- */

static int code_after(int fd, int timeout_ms, long *ms)
{
	char code[4] = "";
	long t0 = ms_now();

	if (read_full(fd, code, 3, timeout_ms) != 3)
		return 0;
	*ms = ms_now() - t0;
	return atoi(code);
}

/* Answers come at once, not at the handshake timeout (60 s here, longer
 * than each read below waits). */
Test(security, original_handshake_cases)
{
	static char nuls[128];
	const char *args[] = { "--handshake-timeout", "60", NULL };
	struct fx f;
	long ms;
	int fd;

	fx_echo(&f, NULL, args);
	fd = tcp_connect("127.0.0.1", f.g.port);
	shutdown(fd, SHUT_WR);
	cr_assert_eq(code_after(fd, 20000, &ms), 400, "EOF at once");
	close(fd);
	fd = tcp_connect("127.0.0.1", f.g.port);
	write_all(fd, "abc", 3);
	shutdown(fd, SHUT_WR);
	cr_assert_eq(code_after(fd, 20000, &ms), 400, "abc and EOF");
	close(fd);
	fd = tcp_connect("127.0.0.1", f.g.port);
	write_all(fd, nuls, sizeof(nuls));
	cr_assert_eq(code_after(fd, 20000, &ms), 400, "128 NUL bytes");
	close(fd);
	cr_assert_eq(gw_dial(f.g.port, "abc\n", 4, NULL), 401);
	cr_assert_eq(dial_addr(&f, "0.0.0.0:0"), 502);
	cr_assert_eq(gw_dial_token(f.g.port, loop_token(f.be->port), NULL),
		     200);
	cr_assert_geq(gw_log_count(&f.g, "control byte in the token line"), 1);
	fx_end(&f);
}

/* ------------------------------------------------ fair handshakes -- */

/*
 * 600 clients send half a token and wait; --max-conns 300. Complete
 * clients still get their 200 and echo: the slow ones give way, oldest
 * first, whichever worker holds them. The slow handshakes' timeout is 60
 * s, longer than a dial waits (30 s), so a client let in only when slow
 * handshakes time out fails here. (Once a client waited 12 s: the worker
 * a waiting client woke held no handshake to evict, the other held them
 * all and was not woken again; now the others are asked, daemon/worker.c.)
 */
Test(security, slow_handshakes_do_not_lock_out_clients, .timeout = 120)
{
	enum { SLOW = 600, GOOD = 20 };
	const char *args[] = { "--max-conns", "300", "--handshake-timeout",
			       "60", NULL };
	static int slow[SLOW];
	struct fx f;
	long worst = 0;

	fx_echo(&f, NULL, args);
	for (int i = 0; i < SLOW; i++) {
		slow[i] = tcp_connect("127.0.0.1", f.g.port);
		cr_assert_geq(slow[i], 0);
		write_all(slow[i], "U2F", 3);
	}
	/* the gateway is full of them before the good clients come (two
	 * workers may each take one as the count reaches the limit) */
	cr_assert_geq(fx_metric_wait(&f, "sockgate_sessions_active ", 300,
				     30000),
		      300, "300 slow handshakes held (log %s)", f.g.log);
	for (int i = 0; i < GOOD; i++) {
		long t0 = ms_now();
		int fd;

		cr_assert_eq(gw_dial_token(f.g.port, loop_token(f.be->port),
					   &fd),
			     200, "client %d (log %s)", i, f.g.log);
		fx_round_trip(fd, "through");
		close(fd);
		if (ms_now() - t0 > worst)
			worst = ms_now() - t0;
	}
	cr_log_info("the slowest of %d clients behind %d slow handshakes: "
		    "%ld ms; %lld handshakes gave way",
		    GOOD, SLOW, worst,
		    fx_metric(&f, "sockgate_refused_total{reason="
				  "\"handshake_evicted\"} "));
	cr_assert_geq(fx_metric(&f, "sockgate_refused_total{reason="
				    "\"handshake_evicted\"} "),
		      GOOD, "slow handshakes gave way");
	for (int i = 0; i < SLOW; i++)
		close(slow[i]);
	fx_end(&f);
}

/*
 * One address over --max-conns-per-ip: the extra connections are reset
 * at once; another address is not held to the first one's count. The
 * reset can be so quick that the client's connect() itself reports it:
 * the handshake completed in softirq, connect() slept, and the gateway on
 * the other CPU accepted and reset before it ran again (seen in the
 * emulated 6.1 guest, where the test used to poll the -1 such a connect
 * returned and so never saw those resets). Both count here.
 */
Test(security, max_conns_per_ip)
{
	const char *args[] = { "--max-conns-per-ip", "5", "--handshake-timeout",
			       "60", NULL };
	struct fx f;
	int held[8], reset = 0, at_connect = 0, silent = 0, other;
	char c;

	fx_echo(&f, NULL, args);
	for (int i = 0; i < 8; i++) {
		held[i] = tcp_connect_from(NULL, f.g.port);
		if (held[i] < 0) {
			cr_assert(errno == ECONNRESET || errno == ECONNREFUSED,
				  "connect %d: %s", i, strerror(errno));
			at_connect++;
		}
	}
	cr_assert_eq(fx_metric_wait(&f,
				    "sockgate_refused_total{reason="
				    "\"per_ip\"} ",
				    3, 30000),
		     3, "the gateway reset three (log %s)", f.g.log);
	/* the resets reach the clients' sockets; the five held ones stay
	 * silent */
	for (long end = ms_now() + 30000; ms_now() < end; ms_sleep(50)) {
		reset = at_connect;
		silent = 0;
		for (int i = 0; i < 8; i++) {
			struct pollfd p = { .fd = held[i], .events = POLLIN };

			if (held[i] < 0)
				continue;
			if (poll(&p, 1, 0) == 1)
				reset++;
			else
				silent++;
		}
		if (reset >= 3)
			break;
	}
	cr_log_info("resets seen: %d at connect(), %d after", at_connect,
		    reset - at_connect);
	cr_assert_eq(reset, 3, "three sockets over the limit see their reset");
	cr_assert_eq(silent, 5, "the five held ones stay silent");
	for (int i = 0; i < 8; i++) {
		struct pollfd p = { .fd = held[i], .events = POLLIN };

		if (held[i] >= 0 && poll(&p, 1, 0) == 1) {
			cr_assert_eq(read(held[i], &c, 1), -1, "not an EOF");
			cr_assert_eq(errno, ECONNRESET, "a reset");
		}
	}
	cr_assert_eq(fx_metric(&f, "sockgate_refused_total{reason="
				   "\"per_ip\"} "),
		     3);
	/* 127.0.0.2 has its own count */
	other = tcp_connect_from("127.0.0.2", f.g.port);
	cr_assert_geq(other, 0, "from 127.0.0.2: %s", strerror(errno));
	{
		char line[4200];
		int n = snprintf(line, sizeof(line), "%s\n",
				 loop_token(f.be->port));

		write_all(other, line, (size_t)n);
		cr_assert_eq(read_full(other, line, 3, 5000), 3);
		cr_assert(!strncmp(line, "200", 3));
	}
	close(other);
	for (int i = 0; i < 8; i++)
		if (held[i] >= 0)
			close(held[i]);
	fx_end(&f);
}

/* The test hooks are in the tests' build only: the installed binary has
 * none of their names, and ignores their variables. */
/*
 * --rate-per-ip 20: 200 connections as fast as one client can make them
 * from 127.0.0.2; the burst of 20 and what the bucket refilled meanwhile
 * get through, the rest are reset (counted); 127.0.0.3 is unaffected.
 */
Test(security, rate_per_ip)
{
	struct fx f;
	int ok = 0, reset = 0;
	long t0, ms;
	const char *tok;

	fx_echo(&f, NULL, (const char *[]){ "--rate-per-ip", "20", NULL });
	tok = loop_token(f.be->port);
	t0 = ms_now();
	for (int i = 0; i < 200; i++) {
		if (gw_dial_from("127.0.0.2", f.g.port, tok, NULL) == 200)
			ok++;
		else
			reset++;
	}
	ms = ms_now() - t0;
	cr_assert_geq(ok, 20, "the burst: %d in %ld ms", ok, ms);
	cr_assert_leq(ok, 20 + 20 * ms / 1000 + 1, "the rate: %d in %ld ms", ok,
		      ms);
	cr_assert_eq(fx_metric_wait(&f,
				    "sockgate_refused_total{reason="
				    "\"rate_per_ip\"} ",
				    reset, 10000),
		     reset, "every reset counted");
	for (int i = 0; i < 5; i++)
		cr_assert_eq(gw_dial_from("127.0.0.3", f.g.port, tok, NULL),
			     200, "another address");
	cr_assert_eq(fx_metric(&f, "sockgate_rate_table_entries "), 2);
	cr_log_info("--rate-per-ip 20: %d of 200 in %ld ms", ok, ms);
	fx_end(&f);
}

Test(security, no_test_hooks_in_the_installed_binary)
{
	char cmd[512], *out;
	int st;

	snprintf(
		cmd, sizeof(cmd),
		"strings %s/sockgate | grep -c SOCKGATE_TEST_; "
		"strings %s/sockgate-test | grep -c '^SOCKGATE_TEST_KEEP_CAPS$'",
		sg_build(), sg_build());
	out = run_cmd(cmd, &st);
	cr_assert_str_eq(out, "0\n1", "hook names in sockgate, sockgate-test");
	free(out);
	out = gw_sh("SOCKGATE_TEST_REPEAT=4", "--secret x --mode copy", ":",
		    "grep -c 'test hook' log", &st);
	cr_assert_str_eq(out, "0", "no hook read: %s", out);
	free(out);
}
