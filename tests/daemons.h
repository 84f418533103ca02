/* SPDX-License-Identifier: MIT */
#ifndef SG_TEST_DAEMONS_H
#define SG_TEST_DAEMONS_H

#include <stdint.h>
#include <sys/types.h>

/*
 * Real servers from Debian, started by the tests: etcd (the gateway
 * registers in it) and dnsmasq (SRV records). Each runs as a child
 * process that dies with the test, in a network namespace when ns is
 * given, logging to a file in its own directory.
 */
struct etcd_srv {
	pid_t pid;
	char ns[24]; /* "" or the namespace it runs in */
	char ip[16]; /* the address it serves on */
	uint16_t port;
	char url[48]; /* http://ip:port */
	char dir[64]; /* data directories and the log */
	int runs;     /* starts so far: each has a fresh data directory */
	char tls[64]; /* "": http; else https with tls_make's files there,
		       * client certificates required */
};

/*
 * A CA, a server certificate for 127.0.0.1 and a client certificate it
 * signed, made with the openssl CLI in a new directory (out): ca.pem,
 * server.pem/.key, client.pem/.key. 0, or -1.
 */
int tls_make(char *out, size_t len);

/* etcd on ip (ns: NULL or a namespace), on port or (0) a free one;
 * waits until it answers. 0, or -1. */
int etcd_register_start(struct etcd_srv *e, const char *ns, const char *ip,
			uint16_t port);
/* The same over https on 127.0.0.1, with tls_make's files in dir. */
int etcd_start_tls(struct etcd_srv *e, const char *dir);
/* SIGKILL: as if its host died. Its port stays e->port. */
void etcd_kill(struct etcd_srv *e);
/* Started again on the same address, with an empty data directory (a
 * lost or replaced cluster: nothing of the old leases is left). */
int etcd_restart(struct etcd_srv *e);
/* The values under prefix, one a line (etcdctl get --prefix), malloc'd;
 * NULL when etcdctl fails. */
char *etcd_values(const struct etcd_srv *e, const char *prefix);
/* How many keys are under prefix, or -1. */
int etcd_count(const struct etcd_srv *e, const char *prefix);
/* Waits up to timeout_ms for etcd_count to be want; the ms it took, or
 * -1 on timeout. */
long etcd_wait_count(const struct etcd_srv *e, const char *prefix, int want,
		     int timeout_ms);
void etcd_register_stop(struct etcd_srv *e);

struct dnsmasq {
	pid_t pid;
	uint16_t port; /* UDP and TCP on 127.0.0.1 */
	char dir[64];
	char server[32]; /* "127.0.0.1:port", for --dns-server */
};

/* dnsmasq answering for the zone sg.test (and service.consul) only,
 * from the records in args (--srv-host=..., --host-record=...), NULL
 * ended; nothing forwarded anywhere. 0, or -1. */
int dnsmasq_start(struct dnsmasq *d, const char *const *args);
void dnsmasq_stop(struct dnsmasq *d);

#endif
