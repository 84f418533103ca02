// SPDX-License-Identifier: MIT
/* The paths' names: see mode.h. */
#include <stddef.h>

#include "fwd/mode.h"

const char *const fwd_mode_names[] = { "auto", "sockmap", "splice", "copy",
				       NULL };

const char *const edge_path_names[] = { "ktls", "tls-copy", "ws", "wss", NULL };
