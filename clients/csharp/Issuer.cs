// SPDX-License-Identifier: MIT
// Token issuing, for the service that hands clients their server list
// (never in client code: it needs the secret). IssueToken makes the
// authenticated form (README "Security": version 2, AES-256-GCM, HKDF
// key, optional expiry, optional claims); IssueLegacyToken the openssl
// enc form. Mono has no AesGcm, so GCM is built here on AES's block
// function (NIST SP 800-38D), checked against the README's vectors.
using System;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace SockGate
{
    public static class Issuer
    {
        // A version 2 token for address; ttlSeconds 0: no expiry. Claims,
        // each optional: bindClient "ADDR" or "ADDR/N" (good from there
        // only), notBefore (Unix seconds; 0: none), uses (connections per
        // gateway; 0: any; needs a ttl).
        public static string IssueToken(string address, string secret, long ttlSeconds = 0,
                                        string bindClient = null, long notBefore = 0, uint uses = 0)
        {
            if (uses > 0 && ttlSeconds <= 0)
                throw new ArgumentException("uses needs a ttl: gateways remember a used token until it expires");
            long expiry = ttlSeconds > 0 ? DateTimeOffset.UtcNow.ToUnixTimeSeconds() + ttlSeconds : 0;
            var nonce = new byte[12];
            using (var rng = RandomNumberGenerator.Create())
                rng.GetBytes(nonce);
            return Seal(address, secret, expiry, nonce, bindClient, notBefore, uses);
        }

        // The token for an absolute expiry and a given nonce (the test
        // vectors); IssueToken is what a service calls.
        public static string Seal(string address, string secret, long expiry, byte[] nonce,
                                  string bindClient, long notBefore, uint uses)
        {
            var header = new byte[21];
            header[0] = 2;
            PutBE(header, 1, (ulong)expiry, 8);
            Array.Copy(nonce, 0, header, 9, 12);
            var addr = Encoding.UTF8.GetBytes(address);
            var claims = Claims(bindClient, notBefore, uses);
            var plain = new byte[addr.Length + claims.Length];
            addr.CopyTo(plain, 0);
            claims.CopyTo(plain, addr.Length);
            var key = Hkdf(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes("sockgate"),
                           Encoding.ASCII.GetBytes("token v2"));
            var sealedBytes = GcmSeal(key, nonce, header, plain);
            var raw = new byte[21 + sealedBytes.Length];
            header.CopyTo(raw, 0);
            sealedBytes.CopyTo(raw, 21);
            return Convert.ToBase64String(raw).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        }

        // The claims after the address: a 0, then type, length, value for
        // each, in type order; none: nothing.
        static byte[] Claims(string bindClient, long notBefore, uint uses)
        {
            var b = new System.Collections.Generic.List<byte>();
            if (bindClient != null) {
                var parts = bindClient.Split('/');
                var ip = IPAddress.Parse(parts[0]).GetAddressBytes();
                int prefix = parts.Length > 1 ? int.Parse(parts[1]) : ip.Length * 8;
                if (parts.Length > 2 || prefix < 0 || prefix > ip.Length * 8)
                    throw new ArgumentException("bindClient: ADDR or ADDR/N");
                for (int i = 0; i < ip.Length; i++) {
                    int keep = Math.Max(0, Math.Min(8, prefix - 8 * i));
                    ip[i] &= (byte)(0xff << (8 - keep));
                }
                b.Add(1);
                b.Add((byte)(2 + ip.Length));
                b.Add((byte)(ip.Length == 4 ? 4 : 6));
                b.Add((byte)prefix);
                b.AddRange(ip);
            }
            if (notBefore != 0) {
                var v = new byte[10];
                v[0] = 2;
                v[1] = 8;
                PutBE(v, 2, (ulong)notBefore, 8);
                b.AddRange(v);
            }
            if (uses != 0) {
                var v = new byte[6];
                v[0] = 3;
                v[1] = 4;
                PutBE(v, 2, uses, 4);
                b.AddRange(v);
            }
            if (b.Count > 0)
                b.Insert(0, 0);
            return b.ToArray();
        }

        // openssl enc -aes-256-cbc -salt -md sha256: EVP_BytesToKey, one round
        public static string IssueLegacyToken(string address, string secret)
        {
            var salt = new byte[8];
            using (var rng = RandomNumberGenerator.Create())
                rng.GetBytes(salt);
            var pw = Encoding.UTF8.GetBytes(secret);
            var d = new byte[48];
            var prev = new byte[0];
            using (var sha = SHA256.Create()) {
                for (int n = 0; n < 48; n += 32) {
                    var input = new byte[prev.Length + pw.Length + 8];
                    prev.CopyTo(input, 0);
                    pw.CopyTo(input, prev.Length);
                    salt.CopyTo(input, prev.Length + pw.Length);
                    prev = sha.ComputeHash(input);
                    Array.Copy(prev, 0, d, n, Math.Min(32, 48 - n));
                }
            }
            byte[] ct;
            using (var aes = Aes.Create()) {
                aes.Key = Sub(d, 0, 32);
                aes.IV = Sub(d, 32, 16);
                aes.Mode = CipherMode.CBC;
                aes.Padding = PaddingMode.PKCS7;
                var p = Encoding.UTF8.GetBytes(address);
                ct = aes.CreateEncryptor().TransformFinalBlock(p, 0, p.Length);
            }
            var raw = new byte[16 + ct.Length];
            Encoding.ASCII.GetBytes("Salted__").CopyTo(raw, 0);
            salt.CopyTo(raw, 8);
            ct.CopyTo(raw, 16);
            return Convert.ToBase64String(raw);
        }

        // RFC 5869 with SHA-256, one 32-byte key
        static byte[] Hkdf(byte[] secret, byte[] salt, byte[] info)
        {
            byte[] prk;
            using (var h = new HMACSHA256(salt))
                prk = h.ComputeHash(secret);
            var msg = new byte[info.Length + 1];
            info.CopyTo(msg, 0);
            msg[info.Length] = 1;
            using (var h = new HMACSHA256(prk))
                return h.ComputeHash(msg);
        }

        // AES-256-GCM with a 96-bit nonce: the ciphertext, then the tag.
        static byte[] GcmSeal(byte[] key, byte[] nonce, byte[] aad, byte[] plain)
        {
            using (var aes = Aes.Create()) {
                aes.Key = key;
                aes.Mode = CipherMode.ECB;
                aes.Padding = PaddingMode.None;
                var enc = aes.CreateEncryptor();
                Func<byte[], byte[]> block = x => enc.TransformFinalBlock(x, 0, 16);
                var h = block(new byte[16]);
                var j0 = new byte[16];
                Array.Copy(nonce, j0, 12);
                j0[15] = 1;
                var outp = new byte[plain.Length + 16];
                var ctr = (byte[])j0.Clone();
                for (int off = 0; off < plain.Length; off += 16) {
                    Inc32(ctr);
                    var ks = block(ctr);
                    for (int i = 0; i < 16 && off + i < plain.Length; i++)
                        outp[off + i] = (byte)(plain[off + i] ^ ks[i]);
                }
                var s = Ghash(h, aad, Sub(outp, 0, plain.Length));
                var ek = block(j0);
                for (int i = 0; i < 16; i++)
                    outp[plain.Length + i] = (byte)(s[i] ^ ek[i]);
                return outp;
            }
        }

        static void Inc32(byte[] c)
        {
            for (int i = 15; i >= 12 && ++c[i] == 0; i--) {
            }
        }

        static byte[] Ghash(byte[] h, byte[] a, byte[] c)
        {
            var x = new byte[16];
            Absorb(x, h, a);
            Absorb(x, h, c);
            var len = new byte[16];
            PutBE(len, 0, (ulong)a.Length * 8, 8);
            PutBE(len, 8, (ulong)c.Length * 8, 8);
            Xor(x, len, 0, 16);
            Mul(x, h);
            return x;
        }

        // each 16-byte block of data, the last padded with zeros
        static void Absorb(byte[] x, byte[] h, byte[] data)
        {
            for (int off = 0; off < data.Length; off += 16) {
                Xor(x, data, off, Math.Min(16, data.Length - off));
                Mul(x, h);
            }
        }

        static void Xor(byte[] x, byte[] data, int off, int n)
        {
            for (int i = 0; i < n; i++)
                x[i] ^= data[off + i];
        }

        // x = x * y in GF(2^128), GCM's bit order
        static void Mul(byte[] x, byte[] y)
        {
            ulong zh = 0, zl = 0, vh = BE(y, 0), vl = BE(y, 8);
            for (int i = 0; i < 128; i++) {
                if ((x[i / 8] >> (7 - i % 8) & 1) != 0) {
                    zh ^= vh;
                    zl ^= vl;
                }
                bool lsb = (vl & 1) != 0;
                vl = vl >> 1 | vh << 63;
                vh >>= 1;
                if (lsb)
                    vh ^= 0xe100000000000000UL;
            }
            PutBE(x, 0, zh, 8);
            PutBE(x, 8, zl, 8);
        }

        static ulong BE(byte[] b, int off)
        {
            ulong v = 0;
            for (int i = 0; i < 8; i++)
                v = v << 8 | b[off + i];
            return v;
        }

        static void PutBE(byte[] b, int off, ulong v, int n)
        {
            for (int i = n - 1; i >= 0; i--, v >>= 8)
                b[off + i] = (byte)v;
        }

        static byte[] Sub(byte[] b, int off, int n)
        {
            var r = new byte[n];
            Array.Copy(b, off, r, 0, n);
            return r;
        }
    }
}
