/* SPDX-License-Identifier: MIT */
#ifndef SG_PROXY_H
#define SG_PROXY_H

#include <stddef.h>
#include <stdint.h>

/* The longest header: v1 with two IPv6 addresses is 104 bytes. */
#define PROXY_MAX 108

/*
 * The PROXY protocol header (HAProxy's proxy-protocol.txt) for a client
 * socket: version 1 (text) or 2 (binary), the client's address as the
 * source and the address it connected to as the destination. An IPv4
 * client on an IPv6 socket is written as IPv4. Its length, or -1 (the
 * socket's addresses cannot be read).
 */
int proxy_header(int version, int cli_fd, uint8_t *out, size_t max);

#endif
