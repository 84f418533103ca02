/* SPDX-License-Identifier: MIT */
#ifndef SG_RELOAD_H
#define SG_RELOAD_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "daemon/conf.h"

/*
 * The secrets a (re)load gives: the fixed ones (command line or
 * environment) and, when the configuration names a file, the file's.
 * 0, or -1 with a reason in why: the file cannot be read or holds none
 * (out is left empty).
 */
int conf_load_secrets(const struct conf *c, struct secrets *out, char *why,
		      size_t whylen);
/* The rules a (re)load gives: --allow's and the file's. 0, or -1 with
 * a reason in why (out left empty). */
int conf_load_allow(const struct conf *c, struct allow *out, char *why,
		    size_t whylen);

/* --tls-cert and --tls-key, or NULL with why (and warn for a certificate
 * out of date, which loads). Without them NULL and why "". */
SSL_CTX *conf_load_tls(const struct conf *c, char *why, size_t whylen,
		       char *warn, size_t warnlen);

#endif
