// SPDX-License-Identifier: MIT
// node example.js HOST PORT TOKEN: connect, print the backend's first bytes.
'use strict';
const sockgate = require('.');
const [host, port, token] = process.argv.slice(2);

sockgate.connect({ host, port: Number(port), token, timeout: 5000 }).then((sock) => {
  sock.once('data', (d) => { process.stdout.write(d); sock.end(); });
}, (e) => { console.error(`refused: ${e.status ?? e.message}`); process.exit(1); });
