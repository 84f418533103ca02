// SPDX-License-Identifier: MIT
/*
 * Operators in control: token claims (client binding, not-before, use
 * limits), revocation, and the control socket's sessions, kill and
 * reload.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "peers.h"
#include "../clients/c/sockgate_issuer.h"
#include "auth/claims.h"
#include "auth/token_v2.h"

TestSuite(claims, .timeout = 120);
TestSuite(revoke, .timeout = 120);
TestSuite(control, .timeout = 120);

#define USED_UP "sockgate_refused_total{reason=\"used_up\"} "
#define USES_FULL "sockgate_refused_total{reason=\"uses_table_full\"} "
#define USES_ENTRIES "sockgate_token_uses_entries "
#define KILLED_CONTROL "sockgate_killed_total{by=\"control\"} "
#define KILLED_REVOKE "sockgate_killed_total{by=\"revoke\"} "

/* sockgatectl with the test secret; its stdout, *st its exit status */
static char *ctl(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int ctl_status;

static char *ctl(const char *fmt, ...)
{
	char args[1024], cmd[1400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "%s/sockgatectl --secret '%s' %s",
		 sg_build(), TEST_SECRET, args);
	return run_cmd(cmd, &ctl_status);
}

/* The token id sockgatectl decrypt prints (on stderr), into id[17]. */
static void token_id_of(const char *tok, char *id)
{
	char *out = ctl("decrypt %s 2>&1 >/dev/null | sed -n "
			"'s/.*token id //p'",
			tok);

	cr_assert_eq(strlen(out), 16, "token id of %s: '%s'", tok, out);
	strcpy(id, out);
	free(out);
}

/* --------------------------------------------------------- claims -- */

/* --uses 1: the first connection gets through, the second gets 401, and
 * the gateway remembers the token (one entry) meanwhile. */
Test(claims, single_use_token)
{
	struct fx f;
	char *tok, *dec;
	int fd;

	fx_echo(&f, NULL, NULL);
	tok = ctl("encrypt --ttl 60 --uses 1 %s", loop_addr(f.be->port));
	cr_assert_eq(ctl_status, 0, "%s", tok);
	dec = ctl("decrypt %s 2>&1", tok);
	cr_assert(strstr(dec, "claims: uses 1"), "decrypt shows it: %s", dec);
	free(dec);
	cr_assert_eq(gw_dial_token(f.g.port, tok, &fd), 200);
	fx_round_trip(fd, "once");
	close(fd);
	cr_assert_eq(gw_dial_token(f.g.port, tok, NULL), 401, "twice");
	cr_assert_eq(fx_metric(&f, USED_UP), 1);
	cr_assert_geq(gw_log_wait(&f.g, "401 token used up", 1, 5000), 1);
	cr_assert_eq(fx_metric(&f, USES_ENTRIES), 1);
	free(tok);
	/* sockgatectl refuses a use limit without an expiry */
	tok = ctl("encrypt --uses 1 %s 2>&1", loop_addr(f.be->port));
	cr_assert_eq(ctl_status, 2, "%s", tok);
	cr_assert(strstr(tok, "--uses needs --ttl"), "%s", tok);
	free(tok);
	fx_end(&f);
}

/* 1,000 single-use tokens at once fill the table; once they expire it
 * empties (no leeway here); a full table refuses new ones with 401 and
 * says so, and lets none in uncounted. */
Test(claims, use_table_fills_empties_and_refuses_when_full, .timeout = 300)
{
	enum { N = 1000 };
	struct sg_claims once = { .uses = 1 };
	static char toks[N][160];
	char plain[160];
	struct fx f, small;
	long t0, ttl;
	time_t expiry;

	fx_echo(&f, NULL, (const char *[]){ "--token-leeway", "0", NULL });
	/* a ttl this machine makes all N sessions in, twice over (timed on
	 * 50 sessions), so that none expires before it is used */
	cr_assert_gt(sg_issue_token(loop_addr(f.be->port), TEST_SECRET, 0, 0,
				    plain, sizeof(plain)),
		     0);
	t0 = ms_now();
	for (int i = 0; i < 50; i++)
		cr_assert_eq(gw_dial_token(f.g.port, plain, NULL), 200);
	ttl = 2 + (ms_now() - t0) * (N / 50) * 2 / 1000;
	expiry = time(NULL) + ttl;
	for (int i = 0; i < N; i++)
		cr_assert_gt(sg_issue_token_claims(loop_addr(f.be->port),
						   TEST_SECRET, ttl, &once,
						   toks[i], sizeof(toks[i])),
			     0);
	for (int i = 0; i < N; i++)
		cr_assert_eq(gw_dial_token(f.g.port, toks[i], NULL), 200,
			     "token %d (ttl %ld s)", i, ttl);
	cr_assert_eq(fx_metric(&f, USES_ENTRIES), N, "all remembered");
	cr_assert_eq(gw_dial_token(f.g.port, toks[7], NULL), 401, "a used one");
	/* each is forgotten once it expired: wait for the gauge to say so */
	for (long end = ms_now() + (ttl + 60) * 1000;
	     fx_metric(&f, USES_ENTRIES) > 0 && ms_now() < end;)
		ms_sleep(100);
	cr_assert_eq(fx_metric(&f, USES_ENTRIES), 0,
		     "the table never emptied after the tokens expired");
	cr_assert_geq(time(NULL), expiry, "emptied before they expired");
	cr_assert_eq(gw_dial_token(f.g.port, toks[7], NULL), 401,
		     "expired now, and refused as such");
	cr_log_info("1,000 single-use tokens, ttl %ld s", ttl);
	fx_end(&f);

	fx_echo(&small, NULL,
		(const char *[]){ "--token-uses-max", "10", NULL });
	for (int i = 0; i < 11; i++)
		cr_assert_gt(sg_issue_token_claims(loop_addr(small.be->port),
						   TEST_SECRET, 60, &once,
						   toks[i], sizeof(toks[i])),
			     0);
	for (int i = 0; i < 10; i++)
		cr_assert_eq(gw_dial_token(small.g.port, toks[i], NULL), 200);
	cr_assert_eq(gw_dial_token(small.g.port, toks[10], NULL), 401,
		     "the eleventh: the table is full");
	cr_assert_eq(fx_metric(&small, USES_FULL), 1);
	cr_assert_geq(gw_log_wait(&small.g, "use table full", 1, 5000), 1);
	cr_assert_eq(gw_dial_token(small.g.port, toks[0], NULL), 401,
		     "and the used ones stay used");
	fx_end(&small);
}

/* --bind-client: good from that address only; --not-before: not before
 * its time (less the leeway). */
Test(claims, client_binding_and_not_before)
{
	struct fx f;
	char *tok;
	int fd = -1;

	fx_echo(&f, NULL, NULL);
	tok = ctl("encrypt --ttl 60 --bind-client 127.0.0.1/32 %s",
		  loop_addr(f.be->port));
	cr_assert_eq(ctl_status, 0, "%s", tok);
	cr_assert_eq(gw_dial_from("127.0.0.2", f.g.port, tok, NULL), 401,
		     "from another address");
	cr_assert_eq(
		fx_metric(&f,
			  "sockgate_refused_total{reason=\"client_bound\"} "),
		1);
	cr_assert_eq(gw_dial_from("127.0.0.1", f.g.port, tok, &fd), 200);
	fx_round_trip(fd, "bound");
	close(fd);
	free(tok);
	/* a prefix */
	tok = ctl("encrypt --bind-client 127.0.0.0/30 %s",
		  loop_addr(f.be->port));
	cr_assert_eq(gw_dial_from("127.0.0.3", f.g.port, tok, NULL), 200);
	cr_assert_eq(gw_dial_from("127.0.0.4", f.g.port, tok, NULL), 401);
	free(tok);

	tok = ctl("encrypt --not-before +1h %s", loop_addr(f.be->port));
	cr_assert_eq(gw_dial_token(f.g.port, tok, NULL), 401, "an hour early");
	cr_assert_geq(gw_log_wait(&f.g, "401 token not valid yet", 1, 5000), 1);
	free(tok);
	/* two seconds early is within the leeway (5 s) */
	tok = ctl("encrypt --not-before +2s %s", loop_addr(f.be->port));
	cr_assert_eq(gw_dial_token(f.g.port, tok, NULL), 200,
		     "within the leeway");
	free(tok);
	tok = ctl("encrypt --bind-client nonsense %s 2>&1",
		  loop_addr(f.be->port));
	cr_assert_eq(ctl_status, 2, "%s", tok);
	free(tok);
	fx_end(&f);
}

/* The README's vector with claims: ours makes it, sockgatectl reads it
 * back, and the gateway weighs each claim. */
#define VECTOR_SECRET "sockgate test vector"
#define CLAIMS_VECTOR                                                          \
	"AgAAAABpVbkAAAECAwQFBgcICQoLiDfXmauvsGygJXE6KQSvcvNA-Q4jMrpv3VsfSXSl" \
	"z_SRfL1wqUjPPSyHuI54AJ-Pil8O3w"

Test(claims, test_vector)
{
	static const uint8_t nonce[12] = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	};
	struct token_claims c = { .has_client = 1,
				  .has_not_before = 1,
				  .not_before = 1767225000,
				  .uses = 1 };
	char out[256], cmd[1024], *dec;

	cr_assert_eq(claims_client_parse("127.0.0.1/32", &c.client), 0);
	cr_assert_gt(token_v2_seal(VECTOR_SECRET, strlen(VECTOR_SECRET),
				   1767225600, nonce, "127.0.0.1:1", 11, &c,
				   out, sizeof(out)),
		     0);
	cr_assert_str_eq(out, CLAIMS_VECTOR);
	snprintf(cmd, sizeof(cmd),
		 "%s/sockgatectl --secret '" VECTOR_SECRET
		 "' decrypt " CLAIMS_VECTOR " 2>&1",
		 sg_build());
	dec = run_cmd(cmd, &ctl_status);
	cr_assert(strstr(dec, "127.0.0.1:1"), "%s", dec);
	cr_assert(strstr(dec, "token id 0001020304050607"), "%s", dec);
	cr_assert(strstr(dec, "claims: client 127.0.0.1/32, not before "
			      "1767225000, uses 1"),
		  "%s", dec);
	free(dec);
	if (sg_light()) /* the guests have no Python */
		return;
	/* an independent reading of the README's description */
	snprintf(
		cmd, sizeof(cmd),
		"python3 - <<'EOF'\n" PY_V2_KEY(
			VECTOR_SECRET) "t = '" CLAIMS_VECTOR "'\n"
				       "raw = base64.urlsafe_b64decode(t + '=' * (-len(t) %% 4))\n"
				       "print(AESGCM(key).decrypt(raw[9:21], raw[21:], raw[:21]).hex())\n"
				       "EOF");
	dec = run_cmd(cmd, &ctl_status);
	cr_assert_eq(ctl_status, 0, "%s", dec);
	cr_assert_str_eq(dec, "3132372e302e302e313a3100010604207f000001020800"
			      "0000006955b6a80304000000"
			      "01");
	free(dec);
}

/* ------------------------------------------------------- revocation -- */

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	cr_assert(fp, "%s: %s", path, strerror(errno));
	fputs(text, fp);
	fclose(fp);
}

/* Is the client's session still there: a round trip, or EOF/reset? */
static int alive(int fd)
{
	char buf[8];

	if (write_all(fd, "ping", 4) != 4)
		return 0;
	return read_full(fd, buf, 4, 5000) == 4 && !memcmp(buf, "ping", 4);
}

/*
 * A token id and a destination revoked, then SIGHUP: new sessions with
 * either get 401; with --revoke-live the live session that matches ends
 * (reset) and the others stay; a bad line keeps the old list and names
 * itself.
 */
Test(revoke, ids_and_destinations_live)
{
	struct echo_srv other;
	char file[64], id[17], text[256];
	char *a, *b, *c;
	int fa, fb, fc, n;
	struct fx f;

	cr_assert_eq(echo_start(&other, 0), 0);
	snprintf(file, sizeof(file), "/tmp/sgrevoke.%d", getpid());
	write_file(file, "# nothing yet\n");
	fx_echo(&f, NULL,
		(const char *[]){ "--revoke-file", file, "--revoke-live",
				  NULL });
	a = ctl("encrypt %s", loop_addr(f.be->port));
	b = ctl("encrypt %s", loop_addr(f.be->port));
	c = ctl("encrypt --ttl 60 %s", loop_addr(other.port));
	cr_assert_eq(gw_dial_token(f.g.port, a, &fa), 200);
	cr_assert_eq(gw_dial_token(f.g.port, b, &fb), 200);
	cr_assert_eq(gw_dial_token(f.g.port, c, &fc), 200);
	cr_assert(alive(fa) && alive(fb) && alive(fc));

	/* token a, by its id */
	token_id_of(a, id);
	snprintf(text, sizeof(text), "%s # leaked on 2026-12-03\n", id);
	write_file(file, text);
	kill(f.g.pid, SIGHUP);
	cr_assert_eq(gw_log_wait(&f.g, "reload: 1 live session revoked", 1,
				 10000),
		     1, "the reload never ended a session (log %s)", f.g.log);
	cr_assert_eq(read_to_eof(fa, 10000), -1, "a's client is reset");
	cr_assert_eq(errno, ECONNRESET);
	cr_assert(alive(fb) && alive(fc), "the others stay");
	cr_assert_eq(gw_dial_token(f.g.port, a, NULL), 401, "a is revoked");
	cr_assert_geq(gw_log_wait(&f.g, "401 token revoked", 1, 5000), 1);
	cr_assert_eq(gw_dial_token(f.g.port, b, NULL), 200, "b is not");
	cr_assert_eq(fx_metric(&f, KILLED_REVOKE), 1);

	/* the other backend, as a destination */
	snprintf(text, sizeof(text), "%s\n127.0.0.1:%u\n", id, other.port);
	write_file(file, text);
	kill(f.g.pid, SIGHUP);
	cr_assert_eq(gw_log_wait(&f.g, "reload: 1 live session revoked", 2,
				 10000),
		     2);
	cr_assert_eq(read_to_eof(fc, 10000), -1, "c's client is reset");
	cr_assert(alive(fb), "b stays");
	cr_assert_eq(gw_dial_token(f.g.port, c, NULL), 401);
	cr_assert_geq(gw_log_wait(&f.g, "401 destination revoked", 1, 5000), 1);

	/* a bad line: the old list stays, and the log names the line */
	snprintf(text, sizeof(text), "%s\nnot a thing!\n", id);
	write_file(file, text);
	kill(f.g.pid, SIGHUP);
	cr_assert_eq(gw_log_wait(&f.g, ":2: not a token id, CIDR or HOST:PORT",
				 1, 10000),
		     1, "log %s", f.g.log);
	cr_assert_eq(gw_dial_token(f.g.port, c, NULL), 401,
		     "the old list stays");
	cr_assert(alive(fb));
	n = (int)fx_metric(&f, "sockgate_refused_total{reason=\"revoked\"} ");
	cr_assert_eq(n, 3, "each refusal counted: %d", n);
	close(fa);
	close(fb);
	close(fc);
	free(a);
	free(b);
	free(c);
	fx_end(&f);
	echo_stop(&other);
	unlink(file);
}

/* ---------------------------------------------------- control socket -- */

/* sockgatectl --control path ...; its stdout and stderr */
static char *ctlc(const char *path, const char *what)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "%s/sockgatectl --control %s %s 2>&1",
		 sg_build(), path, what);
	return run_cmd(cmd, &ctl_status);
}

/* A raw backend: the gateway's connection to it, accepted. */
static int accept_one(int lfd)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	cr_assert_eq(poll(&p, 1, 10000), 1, "the gateway never connected");
	return accept(lfd, NULL, NULL);
}

/* A session from src to the raw backend: client fd, backend fd. */
static void session_from(struct fx *f, const char *src, int lfd, uint16_t port,
			 int *cfd, int *bfd)
{
	char buf[4];

	cr_assert_eq(gw_dial_from(src, f->g.port, loop_token(port), cfd), 200);
	*bfd = accept_one(lfd);
	cr_assert_eq(write_all(*cfd, "hey!", 4), 4);
	cr_assert_eq(read_full(*bfd, buf, 4, 5000), 4);
	cr_assert_eq(write_all(*bfd, "you!", 4), 4);
	cr_assert_eq(read_full(*cfd, buf, 4, 5000), 4);
}

/* Both peers of a killed session see a reset. */
static void both_reset(int cfd, int bfd, const char *what)
{
	cr_assert_eq(read_to_eof(cfd, 10000), -1, "%s: the client got no reset",
		     what);
	cr_assert_eq(errno, ECONNRESET, "%s: client %s", what, strerror(errno));
	cr_assert_eq(read_to_eof(bfd, 10000), -1,
		     "%s: the backend got no reset", what);
	cr_assert_eq(errno, ECONNRESET, "%s: backend %s", what,
		     strerror(errno));
	close(cfd);
	close(bfd);
}

/* The id of the session from src in `sessions`' JSON, into id[32]. */
static void id_from(const char *sock, const char *src, char *id)
{
	char *out = ctlc(sock, "--json sessions"), *p, key[64];

	cr_assert_eq(ctl_status, 0, "%s", out);
	snprintf(key, sizeof(key), "\"client\":\"%s:", src);
	p = strstr(out, key);
	cr_assert(p, "no session from %s in %s", src, out);
	/* the row starts {"id":"W-N" */
	while (p > out && strncmp(p, "{\"id\":\"", 7) != 0)
		p--;
	cr_assert_eq(sscanf(p, "{\"id\":\"%31[0-9-]\"", id), 1, "%s", out);
	free(out);
}

/* kill by id, by client prefix and by backend, in each forwarding mode:
 * the session named ends with RST to both peers, the others stay. */
MODE_TEST(control, kill_by_id_client_and_backend, M_ALL)
{
	char sock[64], id[32], what[96], *out;
	uint16_t p1, p2;
	int l1 = tcp_listen(0, &p1, 8), l2 = tcp_listen(0, &p2, 8);
	int c1, b1, c2, b2, c3, b3, c4, b4;
	struct fx f;

	snprintf(sock, sizeof(sock), "/tmp/sgctl.%d.sock", getpid());
	fx_gw(&f, mode, (const char *[]){ "--control", sock, NULL });
	session_from(&f, "127.0.0.2", l1, p1, &c1, &b1);
	session_from(&f, "127.0.0.3", l1, p1, &c2, &b2);
	session_from(&f, "127.0.0.4", l1, p1, &c3, &b3);
	session_from(&f, "127.0.0.5", l2, p2, &c4, &b4);

	id_from(sock, "127.0.0.2", id);
	snprintf(what, sizeof(what), "kill %s", id);
	out = ctlc(sock, what);
	cr_assert_eq(ctl_status, 0, "%s", out);
	cr_assert_str_eq(out, "ok killed 1");
	free(out);
	both_reset(c1, b1, "by id");
	out = ctlc(sock, what);
	cr_assert_eq(ctl_status, 1, "a gone id: %s", out);
	free(out);

	out = ctlc(sock, "kill --client 127.0.0.3/32");
	cr_assert_str_eq(out, "ok killed 1");
	free(out);
	both_reset(c2, b2, "by client");

	snprintf(what, sizeof(what), "kill --backend 127.0.0.1:%u", p2);
	out = ctlc(sock, what);
	cr_assert_str_eq(out, "ok killed 1");
	free(out);
	both_reset(c4, b4, "by backend");

	/* the one never named goes on */
	cr_assert_eq(write_all(c3, "more", 4), 4);
	cr_assert_eq(read_full(b3, what, 4, 5000), 4, "the last one stays");
	cr_assert_eq(fx_metric(&f, KILLED_CONTROL), 3);
	cr_assert_eq(gw_log_count(&f.g, "killed by control socket (uid 0, "
					"pid "),
		     3, "each logged with who asked (log %s)", f.g.log);
	close(c3);
	close(b3);
	close(l1);
	close(l2);
	fx_end(&f);
	cr_assert_neq(access(sock, F_OK), 0, "the socket is removed at exit");
}

/* Mode 0600: root's only; another user cannot connect. A megabyte of
 * garbage, an overlong line and an unknown request change nothing.
 * reload answers whether it worked. */
Test(control, private_and_robust)
{
	char sock[64], buf[4096], *out;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	struct fx f;
	int fd, cfd;

	snprintf(sock, sizeof(sock), "/tmp/sgctl.%d.sock", getpid());
	fx_echo(&f, NULL, (const char *[]){ "--control", sock, NULL });
	cr_assert_eq(stat(sock, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600, "mode %o", st.st_mode & 0777);
	snprintf(buf, sizeof(buf),
		 "/usr/bin/setpriv --reuid nobody --regid nogroup "
		 "--clear-groups "
		 "%s/sockgatectl --control %s sessions 2>&1",
		 sg_build(), sock);
	out = run_cmd(buf, &ctl_status);
	cr_assert_eq(ctl_status, 1, "nobody got in: %s", out);
	cr_assert(strstr(out, "Permission denied"), "%s", out);
	free(out);

	cfd = fx_dial_echo(&f);
	strcpy(sa.sun_path, sock);
	/* a megabyte of garbage: an error, and the connection closed */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	memset(buf, 'k', sizeof(buf));
	for (int i = 0; i < 256; i++)
		if (send(fd, buf, sizeof(buf), MSG_NOSIGNAL) < 0)
			break;
	shutdown(fd, SHUT_WR);
	{
		ssize_t n = read(fd, buf, sizeof(buf) - 1);

		cr_assert_gt(n, 0);
		buf[n] = '\0';
		cr_assert(strstr(buf, "error request longer than"), "%s", buf);
	}
	close(fd);
	/* garbage with newlines, and nonsense requests */
	out = ctlc(sock, "kill --client 10.0.0.0/33");
	cr_assert_eq(ctl_status, 1, "%s", out);
	cr_assert(strstr(out, "error kill client"), "%s", out);
	free(out);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(write_all(fd, "\x01\xff\n\n\nkill all\n", 13), 13);
	cr_assert_gt(read(fd, buf, sizeof(buf)), 0);
	cr_assert(!strncmp(buf, "error unknown request", 21), "%.60s", buf);
	close(fd);
	cr_assert(alive(cfd), "the session went on through it all");
	cr_assert_eq(fx_metric(&f, KILLED_CONTROL), 0);

	out = ctlc(sock, "reload");
	cr_assert_eq(ctl_status, 0, "%s", out);
	cr_assert_str_eq(out, "ok reloaded");
	free(out);
	cr_assert_eq(fx_metric(&f, "sockgate_reloads_total{result=\"ok\"} "),
		     1);
	cr_assert(alive(cfd));
	close(cfd);
	f.fd = -1;
	fx_end(&f);
}

/* With --user, the socket is that user's: nobody may use it, and a kill
 * works after the privileges are gone. */
Test(control, socket_owned_by_user)
{
	char dir[64], sock[96], cmd[512], *out;
	struct stat st;
	struct fx f;
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/sgctlu.%d", getpid());
	mkdir(dir, 0755);
	chmod(dir, 0755);
	snprintf(sock, sizeof(sock), "%s/control", dir);
	fx_echo(&f, NULL,
		(const char *[]){ "--user", "nobody", "--control", sock,
				  NULL });
	cr_assert_eq(stat(sock, &st), 0);
	cr_assert_eq(st.st_uid, 65534, "owner %u", (unsigned)st.st_uid);
	cr_assert_eq(st.st_mode & 0777, 0600);
	fd = fx_dial_echo(&f);
	fx_round_trip(fd, "before");
	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/setpriv --reuid nobody --regid nogroup "
		 "--clear-groups "
		 "%s/sockgatectl --control %s kill --client 127.0.0.0/8 2>&1",
		 sg_build(), sock);
	out = run_cmd(cmd, &ctl_status);
	cr_assert_eq(ctl_status, 0, "%s (log %s)", out, f.g.log);
	cr_assert_str_eq(out, "ok killed 1");
	free(out);
	cr_assert_eq(read_to_eof(fd, 10000), -1, "the client is reset");
	cr_assert_eq(errno, ECONNRESET);
	cr_assert_eq(gw_log_count(&f.g, "killed by control socket (uid "
					"65534, pid "),
		     1, "log %s", f.g.log);
	close(fd);
	f.fd = -1;
	fx_end(&f);
	rm_tree(dir);
}
