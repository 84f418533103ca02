// SPDX-License-Identifier: MIT
'use strict';
// A client of a sockgate gateway, no dependencies. connect() sends the
// token line, reads the 3-byte status exactly, and resolves with the
// net.Socket: bytes that came behind the status (a backend's greeting)
// are put back, so the first 'data' event carries them.
//
// tls: true, or tls.connect options ({ ca, servername }), speaks TLS to a
// gateway run with --tls-cert: the certificate and the server's name (the
// host, or servername) are verified by default, against Node's CAs unless
// ca is given.
const net = require('net');
const tlsLib = require('tls');

class GatewayError extends Error {
  constructor(status, message) {
    super(message || `gateway answered ${status}`);
    this.name = 'GatewayError';
    this.status = status; // 400, 401, 502, 504; 0: short or malformed
  }
}

function connect({ host, port, token, timeout, tls }) {
  return new Promise((resolve, reject) => {
    if (/[\r\n]/.test(token)) return reject(new Error('a token is one line'));
    const sock = tls
      ? tlsLib.connect({ host, port, servername: net.isIP(host) ? undefined : host,
        ...(tls === true ? {} : tls) })
      : net.connect({ host, port, noDelay: true });
    if (tls) sock.setNoDelay(true);
    let got = Buffer.alloc(0);
    let done = false;
    const finish = (err) => {
      if (done) return;
      done = true;
      sock.setTimeout(0);
      sock.removeListener('readable', onReadable);
      if (err) {
        sock.destroy();
        reject(err);
      } else {
        resolve(sock);
      }
    };
    const onReadable = () => {
      let chunk;
      while (got.length < 3 && (chunk = sock.read()) !== null) got = Buffer.concat([got, chunk]);
      if (got.length < 3) return;
      const status = got.subarray(0, 3).toString('latin1');
      const rest = got.subarray(3);
      if (!/^\d{3}$/.test(status)) return finish(new GatewayError(0, `malformed status ${JSON.stringify(status)}`));
      if (status !== '200') return finish(new GatewayError(Number(status)));
      if (rest.length) sock.unshift(rest); // the backend's first bytes
      finish();
    };
    if (timeout) {
      sock.setTimeout(timeout, () => finish(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    }
    sock.once('error', (e) => finish(e));
    sock.once('end', () => finish(new GatewayError(0, 'the gateway closed before a status')));
    sock.once(tls ? 'secureConnect' : 'connect', () => {
      sock.write(token + '\n');
      sock.on('readable', onReadable);
    });
  });
}

module.exports = { connect, GatewayError };
