/* SPDX-License-Identifier: MIT */
#ifndef SG_PIDFILE_H
#define SG_PIDFILE_H

#include <sys/types.h>

/*
 * Writes our pid to path, atomically (a file of its own, created
 * exclusively and never through a link, then link or rename). 0 done;
 * 1 the file holds a live process's pid (*holder), left alone unless
 * take is set; -1 with errno. A file whose process is gone is replaced.
 */
int pidfile_claim(const char *path, int take, pid_t *holder);
/* Removes path if, and only if, it holds our pid. 0, or -1 with errno
 * (a directory the process may no longer write after --user). */
int pidfile_release(const char *path);

#endif
