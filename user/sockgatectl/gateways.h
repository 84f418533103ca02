/* SPDX-License-Identifier: MIT */
#ifndef SG_CTL_GATEWAYS_H
#define SG_CTL_GATEWAYS_H

/*
 * tls: https's CA file, client certificate and key (each may be NULL).
 * sockgatectl gateways: the gateways registered under prefix in etcd,
 * one a line (a table, or with json each one's value as JSON). 0, or 1
 * when etcd could not be read.
 */
int cmd_gateways(const char *etcd, const char *prefix, int json,
		 const char *const tls[3]);

#endif
