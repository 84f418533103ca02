/* SPDX-License-Identifier: MIT */
/* The unit tier: no root, no daemon, no network but loopback sockets. */
#ifndef SG_UNIT_H
#define SG_UNIT_H

#include <criterion/criterion.h>

/* The repository's top directory (make unit runs from it). */
static inline const char *unit_repo(void)
{
	const char *r = getenv("SG_REPO");

	return r && *r ? r : ".";
}

#endif
