/* SPDX-License-Identifier: MIT */
#ifndef SG_RESOLVE_H
#define SG_RESOLVE_H

#include <stdint.h>
#include <sys/socket.h>

struct evl;
struct resolver;
struct resolve_req;

/* The most addresses one lookup answers with. */
#define RESOLVE_MAX 16

/*
 * status 0 with n >= 1 addresses (port filled in), or an error with n 0;
 * addrs is only valid during the call.
 */
typedef void (*resolve_cb)(void *arg, int status, const char *err,
			   const struct sockaddr_storage *addrs, int n);

/* One c-ares channel on a worker's loop; servers NULL: /etc/resolv.conf. */
struct resolver *resolver_new(struct evl *loop, const char *servers,
			      uint64_t timeout_ns);
void resolver_free(struct resolver *r);
/* NULL with errno set on failure; cb is called later, never from here. */
struct resolve_req *resolver_lookup(struct resolver *r, const char *name,
				    uint16_t port, resolve_cb cb, void *arg);
/*
 * The SRV record name: its targets' addresses, each with its target's
 * port, in the order to try (priority, then weight: RFC 2782); "no such
 * name" when the record is missing or none of its targets resolves.
 */
struct resolve_req *resolver_srv(struct resolver *r, const char *name,
				 resolve_cb cb, void *arg);
/* The callback will not be called. */
void resolver_cancel(struct resolve_req *req);
int resolver_global_init(void);

#endif
