// SPDX-License-Identifier: MIT
/*
 * What the gateway reads from files and flags, tested on the functions
 * themselves (user/auth/allow.c, user/auth/secret.c, user/daemon/pidfile.c): the rules of
 * --allow and --allow-file, the secret file's lines and modes, and the
 * pid file's temporary file in a directory others can write.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/allow.h"
#include "core/lines.h"
#include "peers.h"
#include "daemon/pidfile.h"
#include "auth/secret.h"

/* a test that needs longer says so */
TestSuite(files, .timeout = 60);

/* A scratch file holding text; its path in a static buffer. */
static const char *scratch(const char *name, const char *text, mode_t mode)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/sgfiles.%d.%s", getpid(), name);
	unlink(path);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
	return path;
}

static int allows(const struct allow *a, const char *ip, unsigned port)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };

	if (inet_pton(AF_INET, ip, &s4.sin_addr) == 1) {
		s4.sin_port = htons((uint16_t)port);
		return allow_match(a, (struct sockaddr *)&s4);
	}
	cr_assert_eq(inet_pton(AF_INET6, ip, &s6.sin6_addr), 1, "%s", ip);
	s6.sin6_port = htons((uint16_t)port);
	return allow_match(a, (struct sockaddr *)&s6);
}

/* What parses exactly, and nothing else. */
Test(files, allow_rules_parse_exactly)
{
	static const char *const good[] = {
		"10.0.0.0/8",
		"10.0.0.5:7000",
		"10.0.0.0/8:1000-2000",
		"::1",
		"[::1]",
		"[::1]:22",
		"[::1]/128:22",
		"[fd00::]/8",
		"fd00::/8",
		"0.0.0.0/0",
		"[::ffff:127.0.0.1]:19203",
	};
	static const char *const bad[] = {
		"[::1]junk:19203",
		"[::1]]:22",
		"[::1]x",
		"[::1]/129",
		"10.0.0.0/33",
		"10.0.0.5:0",
		"10.0.0.5:9-8",
		"10.0.0.5:",
		"host:22",
		"[::1",
		"",
		"10.0.0.5:70000",
		"[::1]/64junk:22",
		"[::ffff:0:0]/80",
	};
	struct allow_rule r;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_expect_eq(allow_parse(good[i], &r), 0, "%s parses", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(allow_parse(bad[i], &r), -1, "%s is refused",
			     bad[i]);
}

/* An IPv4-mapped rule matches the IPv4 destination it names. */
Test(files, allow_ipv4_mapped_rule_matches)
{
	struct allow a = { 0 };
	struct allow_rule r;

	cr_assert_eq(allow_parse("[::ffff:127.0.0.1]:19203", &r), 0);
	cr_assert_eq(allow_add(&a, &r), 0);
	cr_assert_eq(allow_parse("[::ffff:10.1.0.0]/112", &r), 0);
	cr_assert_eq(allow_add(&a, &r), 0);
	cr_expect(allows(&a, "127.0.0.1", 19203));
	cr_expect(allows(&a, "::ffff:127.0.0.1", 19203), "mapped, too");
	cr_expect(!allows(&a, "127.0.0.1", 19204));
	cr_expect(!allows(&a, "127.0.0.2", 19203));
	cr_expect(allows(&a, "10.1.200.3", 80), "/112 is 10.1/16");
	cr_expect(!allows(&a, "10.2.0.1", 80));
	allow_free(&a);
}

/* A comment longer than any buffer stays a comment: its tail never
 * becomes a rule; a line past the limit is an error that names it. */
Test(files, allow_file_reads_whole_lines)
{
	char text[1200], why[256] = "";
	struct allow a = { 0 };
	const char *path;
	int n;

	n = snprintf(text, sizeof(text), "127.0.0.1:22\n# old: ");
	memset(text + n, 'x', 300);
	snprintf(text + n + 300, sizeof(text) - (size_t)n - 300,
		 "0.0.0.0/0\n10.0.0.0/8 # internal\n");
	path = scratch("allow", text, 0644);
	cr_assert_eq(allow_load_file(&a, path, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(a.n, 2, "two rules, the comment none: %zu", a.n);
	cr_expect(!allows(&a, "192.0.2.1", 80), "0.0.0.0/0 stayed a comment");
	cr_expect(allows(&a, "10.9.9.9", 80));
	allow_free(&a);

	{
		static char big[LINES_MAX + 100];

		memset(big, ' ', sizeof(big) - 2);
		memcpy(big, "127.0.0.1\n", 10);
		big[sizeof(big) - 2] = '\n';
		big[sizeof(big) - 1] = '\0';
		path = scratch("allowbig", big, 0644);
	}
	cr_assert_eq(allow_load_file(&a, path, why, sizeof(why)), -1);
	cr_expect(strstr(why, ":2: longer than 4096 bytes"), "%s", why);
	allow_free(&a);

	path = scratch("allowbad", "127.0.0.1\n\n[::1]junk:1\n", 0644);
	cr_assert_eq(allow_load_file(&a, path, why, sizeof(why)), -1);
	cr_expect(strstr(why, ":3: not a rule: [::1]junk:1"), "%s", why);
	allow_free(&a);
	unlink(path);
}

/* Secret files: others never, the group only --user's and only to read;
 * a line past the limit names itself. */
Test(files, secret_file_modes_and_lines)
{
	struct secrets s = { 0 };
	const char *path = scratch("secret", "one\n\ntwo\n", 0600);
	unsigned line = 0;

	cr_assert_eq(secrets_load_file(&s, path, (gid_t)-1, &line), 0);
	cr_assert_eq(s.n, 2);
	secrets_free(&s);
	chmod(path, 0640);
	chown(path, 0, 65534);
	cr_expect_eq(secrets_load_file(&s, path, (gid_t)-1, &line), -1);
	cr_expect_eq(errno, EPERM, "group-readable, no --user");
	cr_expect_eq(secrets_load_file(&s, path, 65534, &line), 0,
		     "readable by --user's group");
	secrets_free(&s);
	cr_expect_eq(secrets_load_file(&s, path, 12345, &line), -1,
		     "another group");
	chmod(path, 0660);
	cr_expect_eq(secrets_load_file(&s, path, 65534, &line), -1,
		     "the group may not write");
	chmod(path, 0604);
	cr_expect_eq(secrets_load_file(&s, path, 65534, &line), -1, "others");
	{
		static char big[SECRET_LINE_MAX + 100];

		memset(big, 'k', sizeof(big) - 1);
		memcpy(big, "ok\n", 3);
		path = scratch("secretbig", big, 0600);
	}
	cr_assert_eq(secrets_load_file(&s, path, (gid_t)-1, &line), -1);
	cr_expect_eq(errno, EFBIG);
	cr_expect_eq(line, 2);
	secrets_free(&s);
	unlink(path);
}

/*
 * The pid file's temporary name is predictable: in a directory another
 * user can write, a link planted there must not make the gateway write
 * through it. The link is removed, never followed; the pid file is ours.
 */
Test(files, pidfile_never_writes_through_a_link)
{
	char dir[64], pidf[96], tmp[128], victim[128], cmd[160], *text;
	pid_t holder = 0;

	snprintf(victim, sizeof(victim), "%s",
		 scratch("victim", "precious\n", 0644));
	snprintf(dir, sizeof(dir), "/tmp/sgpidlink.%d", getpid());
	mkdir(dir, 01777);
	snprintf(pidf, sizeof(pidf), "%s/gateway.pid", dir);
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", pidf, (long)getpid());
	cr_assert_eq(symlink(victim, tmp), 0);
	cr_assert_eq(pidfile_claim(pidf, 0, &holder), 0, "%s", strerror(errno));
	snprintf(cmd, sizeof(cmd), "cat %s", victim);
	text = run_cmd(cmd, NULL);
	cr_expect_str_eq(text, "precious", "the link's target kept");
	free(text);
	cr_expect_eq(pid_in(pidf), getpid());
	cr_expect_eq(pidfile_release(pidf), 0);
	cr_expect_neq(access(tmp, F_OK), 0, "no link left");
	rmdir(dir);
	unlink(victim);
}
