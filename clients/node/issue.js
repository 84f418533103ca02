// SPDX-License-Identifier: MIT
'use strict';
// Token issuing, for the service that hands clients their server list
// (never in client code: it needs the secret). issueToken makes the
// authenticated form (README "Security": version 2, AES-256-GCM, HKDF
// key, optional expiry); { legacy: true } the openssl enc form. Claims
// (README "Token claims"), each optional: bindClient: '127.0.0.1/32'
// (good from there only), notBefore: UNIX_SECONDS, uses: N (N
// connections per gateway; needs ttl).
// liveGateways lists the gateways registered in etcd, so that the
// service hands out addresses of live ones.
const crypto = require('crypto');

function issueToken(address, secret, { ttl, legacy, md, bindClient, notBefore, uses, nonce } = {}) {
  const claims = claimBytes(bindClient, notBefore, uses);
  if (legacy) {
    if (claims.length) throw new Error('claims need a version 2 token');
    return legacyToken(address, secret, md || 'sha256');
  }
  if (uses && !ttl) throw new Error('uses needs a ttl: gateways remember a used token until it expires');
  const header = Buffer.alloc(21);
  header[0] = 2;
  header.writeBigUInt64BE(ttl ? BigInt(Math.floor(Date.now() / 1000) + ttl) : 0n, 1);
  if (nonce) Buffer.from(nonce).copy(header, 9, 0, 12);
  else crypto.randomFillSync(header, 9, 12);
  const key = Buffer.from(crypto.hkdfSync('sha256', secret, 'sockgate', 'token v2', 32));
  const c = crypto.createCipheriv('aes-256-gcm', key, header.subarray(9, 21));
  c.setAAD(header);
  const plain = Buffer.concat([Buffer.from(address, 'utf8'), claims]);
  const ct = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
  return Buffer.concat([header, ct]).toString('base64url');
}

// An address's bytes: 4 for IPv4, 16 for IPv6 (with "::" and a dotted tail).
function ipBytes(ip) {
  const net = require('net');
  if (net.isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!net.isIPv6(ip)) throw new Error(`not an address: ${ip}`);
  let groups = ip;
  const v4 = ip.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (v4) {
    const b = ipBytes(v4[1]);
    groups = ip.slice(0, -v4[1].length) + `${(b[0] << 8 | b[1]).toString(16)}:${(b[2] << 8 | b[3]).toString(16)}`;
  }
  const [head, tail] = groups.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail ? tail.split(':') : [];
  const all = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), 2 * i));
  return out;
}

// The claims' bytes after the address: a 0, then type, length, value for
// each, in type order; none: nothing.
function claimBytes(bindClient, notBefore, uses) {
  const parts = [];
  if (bindClient !== undefined) {
    const [ip, bits] = bindClient.split('/');
    const addr = ipBytes(ip);
    const prefix = bits === undefined ? addr.length * 8 : Number(bits);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > addr.length * 8) throw new Error(`bad prefix: ${bindClient}`);
    for (let i = 0; i < addr.length; i++) {
      const keep = Math.max(0, Math.min(8, prefix - 8 * i));
      addr[i] &= (0xff << (8 - keep)) & 0xff;
    }
    parts.push(Buffer.from([1, 2 + addr.length, addr.length === 4 ? 4 : 6, prefix]), addr);
  }
  if (notBefore !== undefined) {
    const v = Buffer.alloc(10);
    v[0] = 2;
    v[1] = 8;
    v.writeBigUInt64BE(BigInt(notBefore), 2);
    parts.push(v);
  }
  if (uses !== undefined) {
    if (!Number.isInteger(uses) || uses < 1 || uses > 0xffffffff) throw new Error('uses: 1 to 4294967295');
    const v = Buffer.alloc(6);
    v[0] = 3;
    v[1] = 4;
    v.writeUInt32BE(uses, 2);
    parts.push(v);
  }
  return parts.length ? Buffer.concat([Buffer.from([0]), ...parts]) : Buffer.alloc(0);
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
