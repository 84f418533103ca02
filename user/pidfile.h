/* SPDX-License-Identifier: MIT */
#ifndef SG_PIDFILE_H
#define SG_PIDFILE_H

#include <sys/types.h>

/*
 * Writes our pid to path, atomically (a file of its own, then link or
 * rename). 0 done; 1 the file holds a live process's pid (*holder), left
 * alone; -1 with errno. A file whose process is gone is replaced.
 */
int pidfile_claim(const char *path, pid_t *holder);
/* Removes path if, and only if, it holds our pid. */
void pidfile_release(const char *path);

#endif
