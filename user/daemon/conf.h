/* SPDX-License-Identifier: MIT */
#ifndef SG_CONF_H
#define SG_CONF_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/socket.h>

#include "auth/allow.h"
#include "auth/revoke.h"
#include "core/opt.h"
#include "fwd/mode.h"
#include "core/log.h"
#include "auth/secret.h"

/* TCP keepalive on every session socket (--keepalive); idle 0: off. */
struct keepalive {
	int idle, interval, count; /* seconds, seconds, probes */
};

struct conf {
	/* the secrets at start-up: the command line's and the file's (or
	 * the environment's); daemon/gateway.h: the live set, which SIGHUP renews */
	struct secrets secrets;
	struct secrets fixed; /* --secret and SOCKGATE_SECRET: kept on reload */
	/* destination rules: --allow (fixed) and --allow-file; the live set
	 * is conf.allow, renewed by SIGHUP like the secrets */
	struct allow allow, allow_fixed;
	const char *allow_file;
	/* --revoke-file's entries, renewed by SIGHUP like the secrets */
	struct revoke revoke;
	const char *revoke_file;
	int revoke_live;     /* a reload ends live sessions that match */
	long token_uses_max; /* use-limited tokens remembered at once */
	const char *control; /* --control: the Unix socket's path */
	const char *config; /* --config: flags from a file (daemon/conffile.h) */
	char **owned;	    /* the file's strings the flags point at */
	size_t nowned;
	const char *secret_file;
	struct sockaddr_storage listen;
	socklen_t listen_len;
	const char *addr;
	int reuse;
	int retry;
	uint64_t timeout_ns;
	uint64_t handshake_timeout_ns;
	uint64_t drain_timeout_ns;
	uint64_t drain_spread_ns; /* --drain-spread: ends spread over it */
	uint64_t linger_ns;  /* how long an error reply waits for the client */
	uint64_t idle_ns;    /* --idle-timeout; 0: off */
	uint64_t max_age_ns; /* --max-session-age; 0: off */
	int legacy_tokens;   /* the openssl enc form accepted (default) */
	uint64_t leeway_ns;  /* --token-leeway: clocks of issuer and gateway */
	int proxy_protocol;  /* 0 off, 1 or 2: the header the backend gets */
	const char *user;    /* --user: run as, once set up */
	gid_t user_gid;	     /* its group, which may read --secret-file */
	struct keepalive keepalive;
	int buffer;
	const char *pprof;
	const char *pidfile;
	const char *dns_servers;
	/* --etcd: registration (ctl/etcd_register.c); advertise NULL: the listen address */
	const char *etcd, *advertise, *etcd_prefix;
	const char *etcd_cacert, *etcd_cert, *etcd_key; /* https */
	int etcd_ttl;
	const char *bpf_pin_dir;
	/* TLS on the client side (edge/tls.h): both, or neither */
	const char *tls_cert, *tls_key;
	int allow_plain;	 /* with TLS: clients in clear too */
	long ws_max_frame;	 /* a WebSocket frame's payload, bytes */
	const char **ws_origins; /* --ws-origin patterns; none: any page */
	size_t n_ws_origins;
	int workers;
	long max_conns;	     /* sessions past the handshake; 0: the fd limit */
	long max_handshakes; /* handshakes in progress at once */
	int defer_accept;    /* TCP_DEFER_ACCEPT seconds; 0: off */
	long max_conns_per_ip; /* connections from one address; 0: any */
	long rate_per_ip;      /* new connections a second from one; 0: any */
	/* mode auto with BPF: sessions start on copy and move to splice
	 * (streaming) or sockmap (quiet) once they have lasted this long;
	 * 0: sockmap from the start */
	uint64_t promote_ns;
	long promote_rate; /* bytes a second that make a stream; 0: any */
	int mode;	   /* enum fwd_mode */
	int log_level;	   /* enum log_level */
	int log_format;	   /* 0 text, 1 json */
	int log_sessions;  /* 1: a line for each session's end (default) */
	int secret_on_cmdline;
	/* env SOCKGATE_TEST_REPEAT, for the tests only: the verdict takes the
	 * first N bytes each client sends after the hand-off for repeats */
	uint32_t test_repeat;
	/* env SOCKGATE_TEST_REPEAT_EPISODE: the same, N bytes of the first
	 * skb the verdict sees once a client episode's copy has started */
	uint32_t test_repeat_episode;
};

/* The flags: core/opt.h's table. */
extern const struct opt conf_opts[];
/* Parses flags and the environment; exits 2 with a message on error. */
void conf_parse(struct conf *c, int argc, char **argv);
void conf_free(struct conf *c);
/* The usage text: --help. */
void conf_usage(FILE *f);

#endif
