/* SPDX-License-Identifier: MIT */
#ifndef SG_CMDS_H
#define SG_CMDS_H

#include "auth/secret.h"
#include "auth/token_legacy.h"

/* Each prints its result and returns the exit status (sockgatectl(8)). */
struct token_claims;
int cmd_encrypt(const struct secret *sec, enum token_md md, int legacy,
		long ttl, const struct token_claims *c, const char *plain);
int cmd_decrypt(const struct secret *sec, enum token_md md, const char *tok);
int cmd_sessions_http(const char *addr);
int cmd_sessions(const char *dir);
int cmd_connect(const char *gw, const char *tok);
/* sessions, kill, reload over the gateway's --control socket */
int cmd_control(const char *path, int n, char **w, const char *client,
		const char *backend, int json);
/* A table of /sessions.json's rows on stdout; how many. */
int sessions_print(const char *json);

#endif
