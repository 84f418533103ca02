// SPDX-License-Identifier: MIT
// sockgate for browsers: a WebSocket to the gateway, bytes both ways.
//
//   import { connect } from './sockgate.js';
//   const conn = await connect('wss://gw.example:8443', token);
//   conn.send('hello');                  // string, ArrayBuffer or view
//   const bytes = await conn.read();     // Uint8Array, or null at the end
//   conn.close();
//
// connect() resolves once the gateway answered 200 and rejects with a
// SockgateError whose status is the gateway's (400, 401, 502, 504; 0:
// no answer). Browsers hide HTTP statuses from scripts, so the gateway
// answers a refusal with a Close code of 4000 + status: both are kept.

export class SockgateError extends Error {
  constructor(status, closeCode, reason) {
    super(`sockgate: ${status || 'no status'}${reason ? ': ' + reason : ''}`);
    this.status = status;
    this.closeCode = closeCode;
    this.reason = reason;
  }
}

const encoder = new TextEncoder();

function bytesOf(data) {
  if (typeof data === 'string') return encoder.encode(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  throw new TypeError('send: a string, an ArrayBuffer or a typed array');
}

class Connection {
  constructor(ws) {
    this.ws = ws;
    this.queue = [];   // messages not read yet
    this.waiters = []; // read() calls waiting for one
    this.closed = false;
    this.closeCode = 0;
    this.closeReason = '';
  }

  // Bytes to the backend: one binary message.
  send(data) {
    this.ws.send(bytesOf(data));
  }

  // The next bytes from the backend, or null once the stream ended.
  read() {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  // The end of our stream: the backend sees EOF.
  close(code = 1000, reason = '') {
    this.ws.close(code, reason);
  }

  _push(bytes) {
    const w = this.waiters.shift();
    if (w) w(bytes);
    else this.queue.push(bytes);
  }

  _end(code, reason) {
    this.closed = true;
    this.closeCode = code;
    this.closeReason = reason;
    for (const w of this.waiters.splice(0)) w(null);
  }
}

// url: ws:// or wss:// of the gateway; the token goes in ?token=.
export function connect(url, token, { timeoutMs = 10000 } = {}) {
  const u = new URL(url);
  u.searchParams.set('token', token);
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(u.href);
    const conn = new Connection(ws);
    let status = 0;
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      ws.close();
      reject(new SockgateError(0, 0, 'no answer in time'));
    }, timeoutMs);
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (ev) => {
      const bytes = new Uint8Array(ev.data);
      if (status) {
        conn._push(bytes);
        return;
      }
      status = Number(new TextDecoder().decode(bytes));
      if (status === 200) {
        settled = true;
        clearTimeout(timer);
        resolve(conn);
      }
      // another status: the Close that follows has its reason
    };
    ws.onclose = (ev) => {
      conn._end(ev.code, ev.reason);
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const fromCode = ev.code >= 4000 && ev.code < 5000 ? ev.code - 4000 : 0;
      reject(new SockgateError(status || fromCode, ev.code, ev.reason));
    };
  });
}
