/* SPDX-License-Identifier: MIT */
/* Protocol constants and defaults, shared by the daemon, the control tool
 * and the tests. */
#ifndef SOCKGATE_H
#define SOCKGATE_H

/* The status a client reads after its token line: three ASCII digits. */
#define SG_STATUS_LEN 3

/* Where the maps are pinned (<dir>/<pid>/), unless --bpf-pin-dir. */
#define SG_PIN_DIR "/sys/fs/bpf/sockgate"
/* The release, as --version and the etcd registration show it. */
#define SG_VERSION "0.16.0"

enum sg_code { CODE_200, CODE_400, CODE_401, CODE_502, CODE_504, CODE_MAX };

/* "200" .. "504": SG_STATUS_LEN characters and a NUL. */
static inline const char *sg_code_text(enum sg_code c)
{
	static const char text[CODE_MAX][SG_STATUS_LEN + 1] = {
		[CODE_200] = "200", [CODE_400] = "400", [CODE_401] = "401",
		[CODE_502] = "502", [CODE_504] = "504",
	};

	return text[c];
}

#endif
