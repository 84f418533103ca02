// SPDX-License-Identifier: MIT
// IssueCmd SECRET ADDRESS: a version 2 token, then a legacy one, a line
// each. IssueCmd SECRET ADDRESS claims: a token bound to 127.0.0.1/32 for
// one use, then one not good for an hour. IssueCmd vectors: the README's
// two test vectors (tests/test_clients.c checks them all).
using System;

class IssueCmd
{
    static int Main(string[] args)
    {
        if (args.Length == 1 && args[0] == "vectors") {
            var nonce = new byte[12];
            for (int i = 0; i < 12; i++)
                nonce[i] = (byte)i;
            Console.WriteLine(SockGate.Issuer.Seal("127.0.0.1:1", "sockgate test vector", 0, nonce,
                                                   null, 0, 0));
            Console.WriteLine(SockGate.Issuer.Seal("127.0.0.1:1", "sockgate test vector", 1767225600,
                                                   nonce, "127.0.0.1/32", 1767225000, 1));
            return 0;
        }
        if (args.Length < 2) {
            Console.Error.WriteLine("usage: IssueCmd SECRET ADDRESS [claims] | vectors");
            return 2;
        }
        if (args.Length == 3 && args[2] == "claims") {
            long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            Console.WriteLine(SockGate.Issuer.IssueToken(args[1], args[0], 60, "127.0.0.1/32", 0, 1));
            Console.WriteLine(SockGate.Issuer.IssueToken(args[1], args[0], 0, null, now + 3600, 0));
            return 0;
        }
        Console.WriteLine(SockGate.Issuer.IssueToken(args[1], args[0], 60));
        Console.WriteLine(SockGate.Issuer.IssueLegacyToken(args[1], args[0]));
        return 0;
    }
}
