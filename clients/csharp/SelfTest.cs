// SPDX-License-Identifier: MIT
// Run by tests/test_clients.c against a real gateway:
// mono selftest.exe GW_HOST GW_PORT GOOD BAD CLOSED SILENT_PORT V6_PORT GREETING
//                   TLS_PORT CA
using System;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Net.Sockets;
using System.Text;
using SockGateClient;

static class SelfTest
{
    static string[] a;
    static bool ok = true;

    static void Check(string name, bool pass)
    {
        Console.WriteLine((pass ? "ok " : "FAIL ") + name);
        ok &= pass;
    }

    static bool Greet(string host, int port)
    {
        using (var s = SockGate.Connect(host, port, a[2], 5000))
        {
            var want = a[7];
            var buf = new byte[want.Length];
            int got = 0;
            while (got < buf.Length)
            {
                int n = s.Receive(buf, got, buf.Length - got, SocketFlags.None);
                if (n == 0) return false;
                got += n;
            }
            return Encoding.ASCII.GetString(buf) == want;
        }
    }

    static bool GreetTls(string name)
    {
        var ca = new X509Certificate2(a[9]);
        using (var s = SockGate.ConnectTls("127.0.0.1", int.Parse(a[8]), a[2], 5000, name, ca))
        {
            var want = a[7];
            var buf = new byte[want.Length];
            int got = 0;
            while (got < buf.Length)
            {
                int n = s.Read(buf, got, buf.Length - got);
                if (n == 0) return false;
                got += n;
            }
            return Encoding.ASCII.GetString(buf) == want;
        }
    }

    static int Code(string host, int port, string token, int timeoutMs)
    {
        try
        {
            SockGate.Connect(host, port, token, timeoutMs).Close();
            return 200;
        }
        catch (GatewayException e) { return e.Code; }
        catch (TimeoutException) { return -1; }
    }

    static int Main(string[] args)
    {
        a = args;
        int port = int.Parse(a[1]);
        Check("greeting", Greet(a[0], port));
        Check("401", Code(a[0], port, a[3], 5000) == 401);
        Check("502", Code(a[0], port, a[4], 5000) == 502);
        Check("timeout", Code("127.0.0.1", int.Parse(a[5]), a[2], 500) == -1);
        Check("ipv6", Greet("::1", int.Parse(a[6])));
        // TLS: the name verified against the test CA, and a wrong name refused
        Check("tls", GreetTls("localhost"));
        try
        {
            GreetTls("wrong.example");
            Check("tls verify", false);
        }
        catch (AuthenticationException)
        {
            Check("tls verify", true);
        }
        catch (Exception e)
        {
            Console.WriteLine("tls verify: " + e.GetType() + ": " + e.Message);
            Check("tls verify", false);
        }
        return ok ? 0 : 1;
    }
}
