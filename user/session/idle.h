/* SPDX-License-Identifier: MIT */
#ifndef SG_IDLE_H
#define SG_IDLE_H

#include <stdint.h>

struct worker;

/*
 * --idle-timeout: a timer per worker, not per session, looks at the
 * worker's sessions a few times per timeout. A session is idle when
 * neither of its sockets has received or sent a byte for the timeout:
 * the kernel's own clocks (TCP_INFO), the same in every mode, sockmap
 * included, and nothing added to the session. It is closed (reset if
 * bytes it holds would be lost), logged, counted. The same sweep ends
 * sessions older than --max-session-age, busy or not, so that no client
 * holds a gateway forever (clients reconnect; a drain ends the rest).
 */
void idle_start(struct worker *w);
void idle_stop(struct worker *w);
/* Milliseconds since fd last received or sent data; 0 on an error. */
uint64_t idle_quiet_ms(int fd);

#endif
