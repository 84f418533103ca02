// SPDX-License-Identifier: MIT
'use strict';
// Token issuing, for the service that hands clients their server list
// (never in client code: it needs the secret). issueToken makes the
// authenticated form (README "Security": version 2, AES-256-GCM, HKDF
// key, optional expiry); { legacy: true } the openssl enc form.
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

module.exports = { issueToken };
