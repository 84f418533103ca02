// SPDX-License-Identifier: MIT
// mono example.exe HOST PORT TOKEN: connect, print the backend's first bytes.
// mcs -out:example.exe SockGate.cs Example.cs
using System;
using System.Net.Sockets;
using System.Text;
using SockGateClient;

static class Example
{
    static int Main(string[] args)
    {
        try
        {
            using (Socket s = SockGate.Connect(args[0], int.Parse(args[1]), args[2], 5000))
            {
                var buf = new byte[4096];
                int n = s.Receive(buf);
                Console.Write(Encoding.UTF8.GetString(buf, 0, n));
            }
            return 0;
        }
        catch (GatewayException e)
        {
            Console.Error.WriteLine("refused: " + e.Code);
            return 1;
        }
    }
}
