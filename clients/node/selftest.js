// SPDX-License-Identifier: MIT
// Run by tests/test_clients.c against a real gateway:
// node selftest.js GW_HOST GW_PORT GOOD BAD CLOSED SILENT_PORT V6_PORT GREETING
//                  TLS_PORT CA
'use strict';
const fs = require('fs');
const sockgate = require('.');
const [host, port, good, bad, closed, silent, v6port, greeting, tport, ca] = process.argv.slice(2);

async function greet(h, p, tls) {
  const s = await sockgate.connect({ host: h, port: Number(p), token: good, timeout: 5000, tls });
  const first = await new Promise((res) => s.once('data', res));
  let got = first;
  while (got.length < greeting.length) got = Buffer.concat([got, await new Promise((res) => s.once('data', res))]);
  s.end();
  return got.toString() === greeting;
}

async function code(token, p = port, timeout = 5000) {
  try {
    const s = await sockgate.connect({ host: '127.0.0.1', port: Number(p), token, timeout });
    s.destroy();
    return 200;
  } catch (e) {
    return e instanceof sockgate.GatewayError ? e.status : e.code;
  }
}

(async () => {
  const results = [
    ['greeting', await greet(host, port)],
    ['401', (await code(bad)) === 401],
    ['502', (await code(closed)) === 502],
    ['timeout', (await code(good, silent, 500)) === 'ETIMEDOUT'],
    ['ipv6', await greet('::1', v6port)],
    // TLS: the name verified against the test CA, and a wrong name refused
    ['tls', await greet('127.0.0.1', tport, { ca: fs.readFileSync(ca), servername: 'localhost' })],
    ['tls verify', await greet('127.0.0.1', tport, { ca: fs.readFileSync(ca), servername: 'wrong.example' })
      .then(() => false, (e) => e.code === 'ERR_TLS_CERT_ALTNAME_INVALID')],
  ];
  let ok = true;
  for (const [name, pass] of results) {
    console.log(`${pass ? 'ok' : 'FAIL'} ${name}`);
    ok = ok && pass;
  }
  process.exit(ok ? 0 : 1);
})().catch((e) => { console.log('FAIL ' + e); process.exit(1); });
