// SPDX-License-Identifier: MIT
/*
 * sockgatectl: the operator's tool.
 *   encrypt ADDR         make a token (openssl enc -aes-256-cbc -a -A -salt)
 *   decrypt TOKEN        print what a token holds
 *   connect GW TOKEN     handshake through a gateway, then relay stdin/stdout
 *   sessions             the live sessions (BPF maps, or --pprof's JSON)
 *   gateways             the gateways registered in etcd (sockgatectl/gateways.c)
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <curl/curl.h>
#include <dirent.h>
#include <limits.h>
#include <openssl/crypto.h>

#include "fwd/sockmap/bpffs.h"
#include "daemon/conf.h"
#include "sockgatectl/gateways.h"
#include "sockgate.h"
#include "sockmap_bpf.h"
#include "auth/secret.h"
#include "auth/token_legacy.h"
#include "auth/token_v2.h"

static const char usage_text[] =
	"usage: sockgatectl [--secret S | --secret-file PATH]\n"
	"                   encrypt [--ttl SEC] HOST:PORT\n"
	"       sockgatectl [--secret S | --secret-file PATH] [--md md5|sha256]\n"
	"                   encrypt --legacy HOST:PORT | decrypt TOKEN\n"
	"       sockgatectl connect GATEWAY_HOST:PORT TOKEN\n"
	"       sockgatectl [--pprof HOST:PORT | --bpf-pin-dir DIR] sessions\n"
	"       sockgatectl --etcd URL[,URL...] [--etcd-prefix P] [--json]\n"
	"                   [--etcd-cacert F] [--etcd-cert F --etcd-key F] gateways\n"
	"The secret may also come from env SOCKGATE_SECRET. encrypt makes an\n"
	"authenticated token (version 2, AES-256-GCM; --ttl: it expires);\n"
	"--legacy (or --md) makes the openssl enc form, sha256 unless --md\n"
	"md5. decrypt reads both; legacy ones with md5 then sha256.\n";

static int usage(void)
{
	fputs(usage_text, stderr);
	return 2;
}

static int cmd_encrypt(const struct secret *sec, enum token_md md, int legacy,
		       long ttl, const char *plain)
{
	char out[TOKEN_LINE_MAX + 1];
	struct token_addr a;
	int n;

	if (token_parse_addr(plain, strlen(plain), &a) < 0)
		fprintf(stderr,
			"sockgatectl: warning: '%s' is no HOST:PORT the "
			"gateway accepts\n",
			plain);
	if (legacy)
		n = token_encrypt(sec->s, sec->len, md, (const uint8_t *)plain,
				  strlen(plain), out, sizeof(out));
	else
		n = token_v2_seal(sec->s, sec->len,
				  ttl ? (uint64_t)time(NULL) + (uint64_t)ttl :
					0,
				  NULL, plain, strlen(plain), out, sizeof(out));

	if (n < 0) {
		fprintf(stderr, "sockgatectl: cannot encrypt (too long?)\n");
		return 1;
	}
	printf("%s\n", out);
	return 0;
}

static int printable(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return 0;
	return n > 0;
}

static int cmd_decrypt(const struct secret *sec, enum token_md md,
		       const char *tok)
{
	static const enum token_md order[] = { TOKEN_MD_MD5, TOKEN_MD_SHA256 };
	uint8_t plain[TOKEN_LINE_MAX];
	struct token_addr a;
	int n = -1, fallback = -1;
	size_t tlen = strcspn(tok, "\r\n");

	if (token_v2_is(tok, tlen)) {
		struct secrets one = { .n = 1, .v = (struct secret *)sec };
		char p2[TOKEN_ADDR_MAX + 1];
		uint64_t exp;
		size_t plen;
		int r = token_v2_open(&one, tok, tlen, (uint64_t)time(NULL), p2,
				      sizeof(p2), &plen, &exp);

		if (r == -1) {
			fprintf(stderr, "sockgatectl: the token does not "
					"open with this secret\n");
			return 1;
		}
		printf("%s\n", p2);
		if (exp)
			fprintf(stderr,
				"sockgatectl: expires %llu (Unix time)%s\n",
				(unsigned long long)exp,
				r == -2 ? ", expired" : "");
		OPENSSL_cleanse(p2, sizeof(p2));
		return r == -2 ? 3 : 0;
	}
	for (int i = 0; i < 2; i++) {
		if (md != TOKEN_MD_AUTO && md != order[i])
			continue;
		n = token_decrypt(sec->s, sec->len, order[i], tok, tlen, plain,
				  sizeof(plain));
		if (n < 0)
			continue;
		/* a wrong digest passes the padding check now and then:
		 * with auto, prefer the one that gives an address */
		if (md != TOKEN_MD_AUTO ||
		    token_parse_addr((char *)plain, (size_t)n, &a) == 0)
			break;
		/* a wrong key passes the padding check 1 time in 256 and
		 * gives random bytes: fall back only to printable text */
		if (fallback < 0 && printable(plain, (size_t)n))
			fallback = i;
		n = -1;
	}
	if (n < 0 && fallback >= 0)
		n = token_decrypt(sec->s, sec->len, order[fallback], tok, tlen,
				  plain, sizeof(plain));
	if (n < 0) {
		fprintf(stderr, "sockgatectl: the token does not decrypt with "
				"this secret\n");
		return 1;
	}
	fwrite(plain, 1, (size_t)n, stdout);
	putchar('\n');
	OPENSSL_cleanse(plain, sizeof(plain));
	return 0;
}

/* One gateway's pinned sessions map: a line per session. */
static int list_pid(const char *dir, const char *pid, int *count)
{
	char path[PATH_MAX + 64];
	uint64_t key, next, *prev = NULL;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/" SG_MAP_SESSIONS, dir, pid);
	fd = bpf_obj_get(path);
	/* a gateway that exited after the directory was read, or has not
	 * pinned its maps yet: no sessions of its to list */
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		fprintf(stderr, "sockgatectl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		struct sg_sock c, b;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &c) < 0 ||
		    c.role != SG_ROLE_CLIENT)
			continue;
		if (bpf_map_lookup_elem(fd, &c.peer, &b) < 0)
			memset(&b, 0, sizeof(b));
		printf("%-8s %-12llu %-12llu %14llu %10llu %14llu %10llu %6llu\n",
		       pid, (unsigned long long)key, (unsigned long long)c.peer,
		       (unsigned long long)c.bytes, (unsigned long long)c.segs,
		       (unsigned long long)b.bytes, (unsigned long long)b.segs,
		       (unsigned long long)(c.drops + b.drops));
		(*count)++;
	}
	close(fd);
	return 0;
}

/* The text after "key": in obj (up to its end), into out. */
static void json_field(const char *obj, const char *end, const char *key,
		       char *out, size_t len)
{
	char k[32];
	const char *p;
	size_t n = 0;

	snprintf(k, sizeof(k), "\"%s\":", key);
	p = strstr(obj, k);
	out[0] = '\0';
	if (!p || p > end)
		return;
	p += strlen(k);
	if (*p == '"')
		p++;
	while (p < end && *p != '"' && *p != ',' && *p != '}' && n + 1 < len)
		out[n++] = *p++;
	out[n] = '\0';
}

/* Every session of every mode, from a gateway's /sessions.json. */
static int cmd_sessions_http(const char *addr)
{
	static const char req[] = "GET /sessions.json HTTP/1.0\r\n\r\n";
	static const char *const keys[] = { "client", "backend", "mode",
					    "state",  "up",	 "down",
					    "age_ms", "idle_ms" };
	struct sockaddr_storage ss;
	socklen_t len;
	char *buf = NULL, *p;
	size_t have = 0, cap = 0;
	int fd, count = 0;
	ssize_t n;

	if (conf_parse_sockaddr(addr, &ss, &len) < 0) {
		fprintf(stderr, "sockgatectl: bad address %s\n", addr);
		return 2;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) < 0 ||
	    send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "sockgatectl: %s: %s\n", addr, strerror(errno));
		return 1;
	}
	for (;;) {
		if (have + 4096 + 1 > cap) {
			char *q = realloc(buf, cap = cap * 2 + 8192);

			if (!q) {
				free(buf);
				close(fd);
				return 1;
			}
			buf = q;
		}
		n = read(fd, buf + have, cap - have - 1);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	close(fd);
	if (!buf)
		return 1;
	buf[have] = '\0';
	printf("%-22s %-22s %-8s %-9s %12s %12s %9s %9s\n", "CLIENT", "BACKEND",
	       "PATH", "STATE", "UP", "DOWN", "AGE_S", "IDLE_S");
	for (p = strstr(buf, "{\"worker\""); p;
	     p = strstr(p + 1, "{\"worker\"")) {
		const char *end = strchr(p, '}');
		char f[8][64];

		if (!end)
			break;
		for (int i = 0; i < 8; i++)
			json_field(p, end, keys[i], f[i], sizeof(f[i]));
		printf("%-22s %-22s %-8s %-9s %12s %12s %9.1f %9.1f\n", f[0],
		       f[1], f[2], f[3], f[4], f[5], atof(f[6]) / 1000,
		       atof(f[7]) / 1000);
		count++;
	}
	fprintf(stderr, "%d sessions\n", count);
	free(buf);
	return 0;
}

static int cmd_sessions(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int count = 0, ret = 0;

	if (!d) {
		fprintf(stderr,
			"sockgatectl: %s: %s (no gateway in sockmap "
			"mode here?)\n",
			dir, strerror(errno));
		return 1;
	}
	printf("%-8s %-12s %-12s %14s %10s %14s %10s %6s\n", "PID", "CLIENT",
	       "BACKEND", "UP_BYTES", "UP_SEGS", "DOWN_BYTES", "DOWN_SEGS",
	       "DROPS");
	while ((e = readdir(d)))
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9' &&
		    list_pid(dir, e->d_name, &count) < 0)
			ret = 1;
	closedir(d);
	fprintf(stderr, "%d sessions\n", count);
	return ret;
}

static int relay(int fd)
{
	struct pollfd p[2] = { { .fd = STDIN_FILENO, .events = POLLIN },
			       { .fd = fd, .events = POLLIN } };
	char buf[65536];

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (p[0].revents) {
			ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

			if (n <= 0) {
				shutdown(fd, SHUT_WR);
				p[0].fd = -1;
			} else if (send(fd, buf, (size_t)n, MSG_NOSIGNAL) !=
				   n) {
				perror("sockgatectl: send");
				return 1;
			}
		}
		if (p[1].revents) {
			ssize_t n = read(fd, buf, sizeof(buf));

			if (n == 0)
				return 0;
			if (n < 0) {
				perror("sockgatectl: read");
				return 1;
			}
			if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
				return 1;
			fflush(stdout);
		}
	}
}

static int cmd_connect(const char *gw, const char *tok)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char code[4] = "";
	size_t got = 0;
	int fd;

	if (conf_parse_sockaddr(gw, &ss, &len) < 0) {
		fprintf(stderr, "sockgatectl: bad gateway address %s\n", gw);
		return 2;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) < 0) {
		fprintf(stderr, "sockgatectl: connect %s: %s\n", gw,
			strerror(errno));
		return 1;
	}
	if (send(fd, tok, strlen(tok), MSG_NOSIGNAL) < 0 ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
		perror("sockgatectl: send");
		return 1;
	}
	while (got < 3) {
		ssize_t n = read(fd, code + got, 3 - got);

		if (n <= 0) {
			fprintf(stderr, "sockgatectl: no status from the "
					"gateway\n");
			return 1;
		}
		got += (size_t)n;
	}
	if (strcmp(code, "200") != 0) {
		fprintf(stderr, "sockgatectl: gateway answered %s\n", code);
		return 1;
	}
	return relay(fd);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "secret", required_argument, NULL, 's' },
		{ "secret-file", required_argument, NULL, 'f' },
		{ "md", required_argument, NULL, 'm' },
		{ "legacy", no_argument, NULL, 'l' },
		{ "ttl", required_argument, NULL, 't' },
		{ "bpf-pin-dir", required_argument, NULL, 'p' },
		{ "pprof", required_argument, NULL, 'P' },
		{ "etcd", required_argument, NULL, 'e' },
		{ "etcd-prefix", required_argument, NULL, 'E' },
		{ "json", no_argument, NULL, 'j' },
		{ "etcd-cacert", required_argument, NULL, 'C' },
		{ "etcd-cert", required_argument, NULL, 'c' },
		{ "etcd-key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct secrets sec = { 0 };
	enum token_md md = TOKEN_MD_AUTO;
	int legacy = 0, json = 0;
	long ttl = 0;
	char *end;
	const char *file = NULL, *env, *pin_dir = SG_PIN_DIR, *pprof = NULL;
	const char *etcd = NULL, *prefix = "/sockgate/gateways/";
	const char *tls[3] = { NULL, NULL, NULL };
	int opt, ret;

	while ((opt = getopt_long_only(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			secrets_add(&sec, optarg, strlen(optarg));
			break;
		case 'f':
			file = optarg;
			break;
		case 'm':
			if (!strcmp(optarg, "md5"))
				md = TOKEN_MD_MD5;
			else if (!strcmp(optarg, "sha256"))
				md = TOKEN_MD_SHA256;
			else
				return usage();
			legacy = 1; /* a digest is the legacy form's */
			break;
		case 'p':
			pin_dir = optarg;
			break;
		case 'P':
			pprof = optarg;
			break;
		case 'l':
			legacy = 1;
			break;
		case 'e':
			etcd = optarg;
			break;
		case 'E':
			prefix = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'C':
			tls[0] = optarg;
			break;
		case 'c':
			tls[1] = optarg;
			break;
		case 'k':
			tls[2] = optarg;
			break;
		case 't':
			ttl = strtol(optarg, &end, 10);
			if (*end || ttl <= 0 || ttl > 10L * 365 * 86400)
				return usage();
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return usage();
		}
	}
	if (argc - optind == 1 && !strcmp(argv[optind], "sessions"))
		return pprof ? cmd_sessions_http(pprof) : cmd_sessions(pin_dir);
	if (argc - optind == 1 && !strcmp(argv[optind], "gateways")) {
		if (!etcd)
			return usage();
		curl_global_init(CURL_GLOBAL_DEFAULT);
		ret = cmd_gateways(etcd, prefix, json, tls);
		curl_global_cleanup();
		return ret;
	}
	if (argc - optind == 3 && !strcmp(argv[optind], "connect"))
		return cmd_connect(argv[optind + 1], argv[optind + 2]);
	if (argc - optind != 2)
		return usage();
	if (file && secrets_load_file(&sec, file, (gid_t)-1, NULL) < 0) {
		fprintf(stderr, "sockgatectl: %s: %s\n", file, strerror(errno));
		return 1;
	}
	env = getenv("SOCKGATE_SECRET");
	if (sec.n == 0 && env && *env)
		secrets_add(&sec, env, strlen(env));
	if (sec.n == 0) {
		fprintf(stderr, "sockgatectl: a secret is required\n");
		return usage();
	}
	/* with a rotation file, the first line is the current secret */
	if (!strcmp(argv[optind], "encrypt"))
		ret = (legacy && ttl) ? usage() :
					cmd_encrypt(&sec.v[0], md, legacy, ttl,
						    argv[optind + 1]);
	else if (!strcmp(argv[optind], "decrypt"))
		ret = cmd_decrypt(&sec.v[0], md, argv[optind + 1]);
	else
		ret = usage();
	secrets_free(&sec);
	return ret;
}
