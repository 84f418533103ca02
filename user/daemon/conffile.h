/* SPDX-License-Identifier: MIT */
#ifndef SG_CONFFILE_H
#define SG_CONFFILE_H

#include <stddef.h>

struct conf;

/*
 * --config PATH: one "key value" a line, the keys the long flags' names
 * ("addr 0.0.0.0:9000", "allow 10.0.0.0/8"), a flag without a value by
 * its name alone ("allow-plain"), '#' comments (core/lines.h). A key on
 * the command line (cli: argv, NULL ended) wins over the file's lines of
 * it. Only --allow, --ws-origin and --secret may repeat. A file with a
 * secret in it must be private as a --secret-file is. Applied on top of
 * c (its defaults set), with opts its flags' table (daemon/conf.c's). 0, or -1 with why naming the line.
 */
struct opt;
int conf_file_apply(struct conf *c, const struct opt *opts, const char *path,
		    char *const *cli, char *why, size_t whylen);
/*
 * SIGHUP: reads cur->config again (keys on the command line keep their
 * values). A bad file changes nothing: -1 with why naming the line.
 * Else the keys a reload applies (secrets, allow rules, revocations,
 * log level, certificates, token leeway, legacy tokens, max-conns and
 * max-handshakes) are taken into cur, for the reload to load from, and
 * each other key that changed is logged as waiting for a restart. The
 * caller holds the keys' lock (workers read some of these).
 */
int conf_file_reload(struct conf *cur, const struct opt *opts, char *const *cli,
		     char *why, size_t whylen);

#endif
