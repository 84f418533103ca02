// SPDX-License-Identifier: MIT
// mono example.exe HOST PORT TOKEN [MESSAGE]: connect, send MESSAGE and a
// newline ("hello" by default), print the backend's first bytes back (an
// echo backend, such as make run's, answers the message).
// mcs -out:example.exe SockGate.cs Example.cs
using System;
using System.Net.Sockets;
using System.Text;
using SockGateClient;

static class Example
{
    static int Main(string[] args)
    {
        if (args.Length < 3 || args.Length > 4)
        {
            Console.Error.WriteLine("usage: mono example.exe HOST PORT TOKEN [MESSAGE]");
            return 2;
        }
        string message = args.Length == 4 ? args[3] : "hello";
        try
        {
            using (Socket s = SockGate.Connect(args[0], int.Parse(args[1]), args[2], 5000))
            {
                s.Send(Encoding.UTF8.GetBytes(message + "\n"));
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
