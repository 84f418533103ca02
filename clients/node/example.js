// SPDX-License-Identifier: MIT
// node example.js HOST PORT TOKEN [MESSAGE]: connect, send MESSAGE and a
// newline ("hello" by default), print the backend's first bytes back (an
// echo backend, such as make run's, answers the message).
'use strict';
const sockgate = require('.');
const args = process.argv.slice(2);
if (args.length < 3 || args.length > 4) {
  console.error('usage: node example.js HOST PORT TOKEN [MESSAGE]');
  process.exit(2);
}
const [host, port, token, message = 'hello'] = args;

sockgate.connect({ host, port: Number(port), token, timeout: 5000 }).then((sock) => {
  sock.once('data', (d) => { process.stdout.write(d); sock.end(); });
  sock.write(`${message}\n`);
}, (e) => { console.error(`refused: ${e.status ?? e.message}`); process.exit(1); });
