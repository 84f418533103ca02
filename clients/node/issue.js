// SPDX-License-Identifier: MIT
'use strict';
// Token issuing, for the service that hands clients their server list
// (never in client code: it needs the secret). issueToken makes the
// authenticated form (README "Security": version 2, AES-256-GCM, HKDF
// key, optional expiry); { legacy: true } the openssl enc form.
// liveGateways lists the gateways registered in etcd, so that the
// service hands out addresses of live ones.
const crypto = require('crypto');

function issueToken(address, secret, { ttl, legacy, md } = {}) {
  if (legacy) return legacyToken(address, secret, md || 'sha256');
  const header = Buffer.alloc(21);
  header[0] = 2;
  header.writeBigUInt64BE(ttl ? BigInt(Math.floor(Date.now() / 1000) + ttl) : 0n, 1);
  crypto.randomFillSync(header, 9, 12);
  const key = Buffer.from(crypto.hkdfSync('sha256', secret, 'sockgate', 'token v2', 32));
  const c = crypto.createCipheriv('aes-256-gcm', key, header.subarray(9, 21));
  c.setAAD(header);
  const ct = Buffer.concat([c.update(address, 'utf8'), c.final(), c.getAuthTag()]);
  return Buffer.concat([header, ct]).toString('base64url');
}

// openssl enc -aes-256-cbc -salt -md <md>: EVP_BytesToKey, one round
function legacyToken(address, secret, md) {
  const salt = crypto.randomBytes(8);
  let d = Buffer.alloc(0), prev = Buffer.alloc(0);
  while (d.length < 48) {
    prev = crypto.createHash(md).update(Buffer.concat([prev, Buffer.from(secret), salt])).digest();
    d = Buffer.concat([d, prev]);
  }
  const c = crypto.createCipheriv('aes-256-cbc', d.subarray(0, 32), d.subarray(32, 48));
  const ct = Buffer.concat([c.update(address, 'utf8'), c.final()]);
  return Buffer.concat([Buffer.from('Salted__'), salt, ct]).toString('base64');
}

// The gateways registered in etcd (sockgate --etcd), fewest sessions
// first: objects with addr, pid, host, version, mode, sessions, started.
// etcd: a URL or an array of them, tried in turn; etcd's v3 JSON gateway
// read with Node's own fetch (Node 18 and later). Rejects when no
// endpoint answers.
async function liveGateways(etcd, { prefix = '/sockgate/gateways/', timeoutMs = 2000 } = {}) {
  const urls = Array.isArray(etcd) ? etcd : [etcd];
  const key = Buffer.from(prefix);
  const end = Buffer.from(key);
  end[end.length - 1]++; // every key under prefix
  const body = JSON.stringify({ key: key.toString('base64'), range_end: end.toString('base64') });
  let answer, err;
  for (const url of urls) {
    try {
      const r = await fetch(url.replace(/\/+$/, '') + '/v3/kv/range', {
        method: 'POST', body, headers: { 'Content-Type': 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
      answer = await r.json();
      break;
    } catch (e) {
      err = e;
    }
  }
  if (!answer) throw new Error(`no etcd endpoint answered: ${err && err.message}`);
  const seen = new Map();
  for (const kv of answer.kvs || []) {
    let g;
    try {
      g = JSON.parse(Buffer.from(kv.value, 'base64').toString());
    } catch (e) {
      continue; // not a gateway's value
    }
    if (!g || typeof g.addr !== 'string') continue;
    // a restart with --reuse registers twice for a moment
    const old = seen.get(g.addr);
    if (!old || (g.started || 0) > (old.started || 0)) seen.set(g.addr, g);
  }
  return [...seen.values()].sort((a, b) =>
    (a.sessions || 0) - (b.sessions || 0) || (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
}

module.exports = { issueToken, liveGateways };
