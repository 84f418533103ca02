// SPDX-License-Identifier: MIT
/* etcd and dnsmasq as the tests' peers. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include "daemons.h"
#include "gwproc.h"

/* 0 when port is free on loopback for type (no SO_REUSEADDR: a port
 * any socket holds, a TIME_WAIT one included, counts as taken). */
static int bind_probe(int type, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0), r;

	if (fd < 0)
		return -1;
	r = bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	close(fd);
	return r;
}

/*
 * A port free for TCP and UDP on loopback of this namespace, below the
 * ephemeral range: a port the kernel hands out (bind to 0) is one the
 * suite's thousands of client connections also take, and a server
 * binding it then fails with EADDRINUSE (dnsmasq did, once in CI, while
 * another test ran 16,000 sessions). 0 when none was found.
 */
static uint16_t free_port(void)
{
	static unsigned seed;

	if (!seed)
		seed = (unsigned)getpid() ^ (unsigned)ms_now();
	for (int tries = 0; tries < 200; tries++) {
		uint16_t port = (uint16_t)(10000 + rand_r(&seed) % 10000);

		if (bind_probe(SOCK_STREAM, port) == 0 &&
		    bind_probe(SOCK_DGRAM, port) == 0)
			return port;
	}
	return 0;
}

/* argv run in ns (or here), stdout and stderr to log; the child's pid. */
static pid_t spawn(const char *ns, const char *log, const char *const *argv)
{
	const char *full[48];
	int n = 0;
	pid_t pid;

	if (ns && *ns) {
		full[n++] = "/usr/bin/ip";
		full[n++] = "netns";
		full[n++] = "exec";
		full[n++] = ns;
	}
	for (int i = 0; argv[i] && n < 47; i++)
		full[n++] = argv[i];
	full[n] = NULL;
	pid = fork();
	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

	if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		_exit(126);
	for (int i = 3; i < 1024; i++)
		close(i);
	execv(full[0], (char *const *)full);
	_exit(127);
}

static void reap(pid_t *pid, int sig)
{
	if (*pid <= 0)
		return;
	kill(*pid, sig);
	waitpid(*pid, NULL, 0);
	*pid = 0;
}

static int exited(pid_t *pid)
{
	if (*pid > 0 && waitpid(*pid, NULL, WNOHANG) == *pid) {
		*pid = 0;
		return 1;
	}
	return 0;
}

static char *etcdctl(const struct etcd_srv *e, const char *what, int *st)
{
	char cmd[512];

	char tls[256] = "";

	if (*e->tls)
		snprintf(tls, sizeof(tls),
			 "--cacert %1$s/ca.pem --cert %1$s/client.pem "
			 "--key %1$s/client.key",
			 e->tls);
	snprintf(cmd, sizeof(cmd),
		 "%s%s%s ETCDCTL_API=3 etcdctl --endpoints %s %s "
		 "--command-timeout 2s %s 2>&1",
		 *e->ns ? "/usr/bin/ip netns exec " : "", e->ns,
		 *e->ns ? " env" : "", e->url, tls, what);
	return run_cmd(cmd, st);
}

/* One try on e->port; 0 once it answers, -1 when it died (port taken). */
static int etcd_run(struct etcd_srv *e)
{
	char data[96], log[96], listen[64], peer[64], cluster[96];
	char cert[96], key[96], ca[96];
	uint16_t peer_port = free_port();
	const char *argv[] = { "/usr/bin/etcd",
			       "--data-dir",
			       data,
			       "--listen-client-urls",
			       e->url,
			       "--advertise-client-urls",
			       e->url,
			       "--listen-peer-urls",
			       listen,
			       "--initial-advertise-peer-urls",
			       peer,
			       "--initial-cluster",
			       cluster,
			       *e->tls ? "--cert-file" : NULL,
			       cert,
			       "--key-file",
			       key,
			       "--trusted-ca-file",
			       ca,
			       "--client-cert-auth",
			       NULL };

	snprintf(data, sizeof(data), "%s/data%d", e->dir, e->runs++);
	snprintf(log, sizeof(log), "%s/etcd.log", e->dir);
	/* the peer URL is this member's own, on loopback of its host */
	snprintf(listen, sizeof(listen), "http://127.0.0.1:%u", peer_port);
	snprintf(peer, sizeof(peer), "http://127.0.0.1:%u", peer_port);
	snprintf(cluster, sizeof(cluster), "default=%s", peer);
	snprintf(cert, sizeof(cert), "%s/server.pem", e->tls);
	snprintf(key, sizeof(key), "%s/server.key", e->tls);
	snprintf(ca, sizeof(ca), "%s/ca.pem", e->tls);
	e->pid = spawn(e->ns, log, argv);
	if (e->pid < 0)
		return -1;
	for (long end = ms_now() + 15000; ms_now() < end; ms_sleep(50)) {
		int st;
		char *out = etcdctl(e, "endpoint health", &st);

		free(out);
		if (st == 0)
			return 0;
		if (exited(&e->pid))
			return -1;
	}
	reap(&e->pid, SIGKILL);
	return -1;
}

static int start(struct etcd_srv *e, const char *ns, const char *ip,
		 uint16_t port, const char *tls)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->tls, sizeof(e->tls), "%s", tls ? tls : "");
	snprintf(e->ns, sizeof(e->ns), "%s", ns ? ns : "");
	snprintf(e->ip, sizeof(e->ip), "%s", ip);
	snprintf(e->dir, sizeof(e->dir), "/tmp/sgetcd.XXXXXX");
	if (!mkdtemp(e->dir))
		return -1;
	for (int tries = 0; tries < 3; tries++) {
		/* a port free here may be taken before etcd binds it */
		e->port = port ? port : free_port();
		snprintf(e->url, sizeof(e->url), "%s://%s:%u",
			 *e->tls ? "https" : "http", ip, e->port);
		if (etcd_run(e) == 0)
			return 0;
		if (port)
			break;
	}
	return -1;
}

int etcd_register_start(struct etcd_srv *e, const char *ns, const char *ip,
			uint16_t port)
{
	return start(e, ns, ip, port, NULL);
}

int etcd_start_tls(struct etcd_srv *e, const char *dir)
{
	return start(e, NULL, "127.0.0.1", 0, dir);
}

int tls_make(char *out, size_t len)
{
	char cmd[2048];
	int st;

	snprintf(out, len, "/tmp/sgtls.XXXXXX");
	if (!mkdtemp(out))
		return -1;
	/* P-256 keys: quick to make; SAN IP:127.0.0.1 for the server */
	snprintf(
		cmd, sizeof(cmd),
		"set -e; cd %s; exec 2>&1; "
		"k='-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes'; "
		"openssl req -x509 $k -keyout ca.key -out ca.pem -days 2 "
		"-subj /CN=sockgate-test-ca; "
		"for n in server client; do "
		"openssl req $k -keyout $n.key -out $n.csr -subj /CN=$n; done; "
		"printf 'subjectAltName=IP:127.0.0.1\n' >server.ext; "
		"printf 'extendedKeyUsage=clientAuth\n' >client.ext; "
		"for n in server client; do "
		"openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key "
		"-CAcreateserial -out $n.pem -days 2 -extfile $n.ext; done",
		out);
	free(run_cmd(cmd, &st));
	return st == 0 ? 0 : -1;
}

void etcd_kill(struct etcd_srv *e)
{
	reap(&e->pid, SIGKILL);
}

int etcd_restart(struct etcd_srv *e)
{
	etcd_kill(e);
	for (long end = ms_now() + 5000; ms_now() < end; ms_sleep(100))
		if (etcd_run(e) == 0)
			return 0;
	return -1;
}

char *etcd_values(const struct etcd_srv *e, const char *prefix)
{
	char what[256];
	int st;
	char *out;

	snprintf(what, sizeof(what), "get --prefix --print-value-only '%s'",
		 prefix);
	out = etcdctl(e, what, &st);
	if (st != 0) {
		fprintf(stderr, "etcdctl: %s\n", out ? out : "");
		free(out);
		return NULL;
	}
	return out;
}

int etcd_count(const struct etcd_srv *e, const char *prefix)
{
	char what[256];
	int st, n = 0;
	char *out;

	snprintf(what, sizeof(what), "get --prefix --keys-only '%s'", prefix);
	out = etcdctl(e, what, &st);
	if (st != 0 || !out) {
		free(out);
		return -1;
	}
	/* a key a line, each followed by an empty one */
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"))
		n += strncmp(line, prefix, strlen(prefix)) == 0;
	free(out);
	return n;
}

long etcd_wait_count(const struct etcd_srv *e, const char *prefix, int want,
		     int timeout_ms)
{
	long start = ms_now();

	do {
		if (etcd_count(e, prefix) == want)
			return ms_now() - start;
		ms_sleep(20);
	} while (ms_now() - start < timeout_ms);
	return -1;
}

void etcd_register_stop(struct etcd_srv *e)
{
	reap(&e->pid, SIGTERM);
	rm_tree(e->dir);
}

int dnsmasq_start(struct dnsmasq *d, const char *const *args)
{
	char log[96], port[32];
	const char *argv[48] = { access("/usr/sbin/dnsmasq", X_OK) == 0 ?
					 "/usr/sbin/dnsmasq" :
					 "/usr/bin/dnsmasq", /* vmtest */
				 "--keep-in-foreground",
				 "--conf-file=/dev/null", port,
				 "--listen-address=127.0.0.1",
				 "--bind-interfaces", "--no-resolv",
				 "--no-hosts", "--user=root", "--pid-file=",
				 /* the zones it owns: no name is forwarded */
				 "--local=/sg.test/", "--local=/consul/",
				 "--log-queries", "--log-facility=-" };
	int n = 14;

	memset(d, 0, sizeof(*d));
	for (int i = 0; args[i] && n < 47; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	snprintf(d->dir, sizeof(d->dir), "/tmp/sgdns.XXXXXX");
	if (!mkdtemp(d->dir))
		return -1;
	snprintf(log, sizeof(log), "%s/dnsmasq.log", d->dir);
	for (int tries = 0; tries < 3; tries++) {
		char cmd[160], *out;

		d->port = free_port();
		snprintf(port, sizeof(port), "--port=%u", d->port);
		snprintf(d->server, sizeof(d->server), "127.0.0.1:%u", d->port);
		d->pid = spawn(NULL, log, argv);
		if (d->pid < 0)
			return -1;
		/* it logs "started" once its sockets are bound */
		for (long end = ms_now() + 5000; ms_now() < end && d->pid;
		     ms_sleep(20)) {
			int st;

			snprintf(cmd, sizeof(cmd),
				 "grep -sc 'started, version' %s", log);
			free(run_cmd(cmd, &st));
			if (st == 0)
				return 0;
			exited(&d->pid);
		}
		reap(&d->pid, SIGKILL);
		snprintf(cmd, sizeof(cmd), "cat %s", log);
		out = run_cmd(cmd, NULL);
		fprintf(stderr, "dnsmasq on port %u did not start: %s\n",
			d->port, out ? out : "");
		free(out);
		truncate(log, 0);
	}
	return -1;
}

void dnsmasq_stop(struct dnsmasq *d)
{
	reap(&d->pid, SIGTERM);
	rm_tree(d->dir);
}
