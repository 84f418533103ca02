/* SPDX-License-Identifier: MIT */
#ifndef SG_CONTROL_H
#define SG_CONTROL_H

#include <stddef.h>
#include <sys/types.h>

struct evl;
struct gateway;

/*
 * --control PATH: a Unix socket (mode 0600; with --user, that user's)
 * served in the main thread's loop, one request a connection, one line
 * each way, as sockgatectl --control speaks it:
 *   sessions                  the live sessions as JSON (with their ids)
 *   kill id WORKER-START      that session ends, RST to both peers
 *   kill client CIDR          the sessions from those addresses
 *   kill backend CIDR[:PORT]  the sessions to those backends
 *   reload                    what SIGHUP does; answers whether it worked
 * The answer is the JSON document, "ok ...", or "error ...". A request is
 * at most CONTROL_LINE_MAX bytes, CONTROL_RATE a second (more wait for
 * an error), CONTROL_CLIENTS at once, and each has CONTROL_TIMEOUT_S to
 * arrive. Kills are logged with the asker's uid and pid.
 */
#define CONTROL_LINE_MAX 512
#define CONTROL_RATE 20
#define CONTROL_CLIENTS 8
#define CONTROL_TIMEOUT_S 5

/* reload: 0, or -1 with why. 0, or -1 with errno (the socket). */
int control_start(struct gateway *gw, struct evl *loop,
		  int (*reload)(char *why, size_t len), uid_t uid, gid_t gid);
void control_stop(void);

#endif
