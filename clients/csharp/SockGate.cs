// SPDX-License-Identifier: MIT
// A client of a sockgate gateway for .NET and Unity (tested with mono):
// it sends the token line, reads the 3-byte status exactly, and returns
// the Socket right after it, so a backend's greeting is the first thing
// read. The secret never belongs in client code. ConnectTls speaks TLS
// (SslStream) to a gateway run with --tls-cert.
using System;
using System.IO;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace SockGateClient
{
    /// <summary>A gateway's refusal: Code is its status (400, 401, 502,
    /// 504), or 0 for a short or malformed one.</summary>
    public class GatewayException : Exception
    {
        public int Code { get; }

        public GatewayException(int code, string message = null)
            : base(message ?? ("gateway answered " + code))
        {
            Code = code;
        }
    }

    public static class SockGate
    {
        /// <summary>Connects to host:port (a name, IPv4 or IPv6) and
        /// presents token. timeoutMs bounds the connect and the status
        /// each (a TimeoutException); NoDelay is on.</summary>
        public static Socket Connect(string host, int port, string token, int timeoutMs)
        {
            var sock = Dial(host, port, token, timeoutMs);
            try
            {
                sock.Send(Encoding.ASCII.GetBytes(token + "\n"));
                sock.ReceiveTimeout = timeoutMs;
                ReadStatus((buf, off, n) => sock.Receive(buf, off, n, SocketFlags.None));
                sock.ReceiveTimeout = 0;
                return sock;
            }
            catch
            {
                sock.Close();
                throw;
            }
        }

        /// <summary>Connect over TLS: the certificate is verified and its
        /// name must be serverName (default: host). trustedCa, when given,
        /// is a CA trusted besides the system's (a private one).</summary>
        public static SslStream ConnectTls(string host, int port, string token, int timeoutMs,
                                           string serverName = null, X509Certificate2 trustedCa = null)
        {
            var sock = Dial(host, port, token, timeoutMs);
            SslStream ssl = null;
            try
            {
                var name = serverName ?? host;
                ssl = new SslStream(new NetworkStream(sock, true), false,
                                    (s, cert, chain, errors) => Trusted(cert, errors, trustedCa, name));
                ssl.ReadTimeout = timeoutMs;
                ssl.WriteTimeout = timeoutMs;
                ssl.AuthenticateAsClient(name);
                var line = Encoding.ASCII.GetBytes(token + "\n");
                ssl.Write(line, 0, line.Length);
                ssl.Flush();
                ReadStatus((buf, off, n) => ssl.Read(buf, off, n));
                ssl.ReadTimeout = System.Threading.Timeout.Infinite;
                return ssl;
            }
            catch
            {
                if (ssl != null)
                    ssl.Dispose();
                sock.Close();
                throw;
            }
        }

        static bool Trusted(X509Certificate cert, SslPolicyErrors errors, X509Certificate2 ca,
                            string name)
        {
            if (errors == SslPolicyErrors.None)
                return true;
            // the name must match whatever the chain: mono reports only
            // the chain's error when both are wrong, so it is checked here
            if (ca == null || errors != SslPolicyErrors.RemoteCertificateChainErrors ||
                !NameMatches(new X509Certificate2(cert), name))
                return false;
            var chain = new X509Chain();
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.VerificationFlags = X509VerificationFlags.AllowUnknownCertificateAuthority;
            chain.ChainPolicy.ExtraStore.Add(ca);
            if (!chain.Build(new X509Certificate2(cert)))
                return false;
            var root = chain.ChainElements[chain.ChainElements.Count - 1].Certificate;
            return root.Thumbprint == ca.Thumbprint;
        }

        // The certificate's DNS names (subjectAltName) hold name, exactly or
        // by a wildcard's first label.
        static bool NameMatches(X509Certificate2 cert, string name)
        {
            foreach (var ext in cert.Extensions)
            {
                if (ext.Oid.Value != "2.5.29.17")
                    continue;
                foreach (var part in ext.Format(false).Split(','))
                {
                    var p = part.Trim();
                    if (!p.StartsWith("DNS Name="))
                        continue;
                    var dns = p.Substring(9);
                    if (string.Equals(dns, name, StringComparison.OrdinalIgnoreCase))
                        return true;
                    int dot = name.IndexOf('.');
                    if (dns.StartsWith("*.") && dot > 0 &&
                        string.Equals(dns.Substring(1), name.Substring(dot), StringComparison.OrdinalIgnoreCase))
                        return true;
                }
            }
            return false;
        }

        static Socket Dial(string host, int port, string token, int timeoutMs)
        {
            if (token.IndexOfAny(new[] { '\r', '\n' }) >= 0)
                throw new ArgumentException("a token is one line");
            var sock = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                sock.NoDelay = true;
                var connect = sock.BeginConnect(host, port, null, null);
                if (!connect.AsyncWaitHandle.WaitOne(timeoutMs))
                    throw new TimeoutException("connect timed out");
                sock.EndConnect(connect);
                return sock;
            }
            catch
            {
                sock.Close();
                throw;
            }
        }

        // Exactly three bytes: what follows is the backend's.
        static void ReadStatus(Func<byte[], int, int, int> read)
        {
            var status = new byte[3];
            int got = 0;
            while (got < 3)
            {
                int n;
                try
                {
                    n = read(status, got, 3 - got);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut ||
                                                e.SocketErrorCode == SocketError.WouldBlock)
                {
                    throw new TimeoutException("no status from the gateway");
                }
                catch (IOException e) when (e.InnerException is SocketException se &&
                                            (se.SocketErrorCode == SocketError.TimedOut ||
                                             se.SocketErrorCode == SocketError.WouldBlock))
                {
                    throw new TimeoutException("no status from the gateway");
                }
                if (n == 0)
                    throw new GatewayException(0, "the gateway closed before a status");
                got += n;
            }
            int code = 0;
            foreach (var c in status)
            {
                if (c < '0' || c > '9')
                    throw new GatewayException(0, "malformed status");
                code = code * 10 + (c - '0');
            }
            if (code != 200)
                throw new GatewayException(code);
        }
    }
}
