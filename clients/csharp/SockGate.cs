// SPDX-License-Identifier: MIT
// A client of a sockgate gateway for .NET and Unity (tested with mono):
// it sends the token line, reads the 3-byte status exactly, and returns
// the Socket right after it, so a backend's greeting is the first thing
// read. The secret never belongs in client code.
using System;
using System.Net.Sockets;
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
                sock.Send(Encoding.ASCII.GetBytes(token + "\n"));
                sock.ReceiveTimeout = timeoutMs;
                var status = new byte[3];
                int got = 0;
                while (got < 3) // exactly three: what follows is the backend's
                {
                    int n;
                    try
                    {
                        n = sock.Receive(status, got, 3 - got, SocketFlags.None);
                    }
                    catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut ||
                                                    e.SocketErrorCode == SocketError.WouldBlock)
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
                sock.ReceiveTimeout = 0;
                return sock;
            }
            catch
            {
                sock.Close();
                throw;
            }
        }
    }
}
