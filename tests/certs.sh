#!/bin/sh
# certs.sh DIR: what the TLS tests serve, made by the openssl CLI.
#   ca.pem             a test CA, RSA 2048 (clients trust it)
#   ec.pem ec.key      localhost, 127.0.0.1, ::1: ECDSA P-256, by the CA
#   rsa.pem rsa.key    the same names, RSA 2048
#   new.pem new.key    the same names, CN renewed.localhost (SIGHUP)
#   expired.pem        ec.key's certificate, valid only in January 2020
#   other.key          a key no certificate has
set -eu
d=$1
mkdir -p "$d"
cd "$d"
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n' >ext.cnf
# an RSA CA: mono's TLS cannot check a signature by an ECDSA key
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -keyout ca.key \
	-out ca.pem -subj /CN=sockgate-test-ca 2>/dev/null
# mk NAME CN KEYARGS...: a key and a certificate the CA signed
mk() {
	name=$1 cn=$2
	shift 2
	openssl req -newkey "$@" -nodes -keyout "$name.key" -out "$name.csr" \
		-subj "/CN=$cn" 2>/dev/null
	openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key \
		-CAcreateserial -days 30 -extfile ext.cnf -out "$name.pem" \
		2>/dev/null
}
mk ec localhost ec -pkeyopt ec_paramgen_curve:P-256
mk rsa localhost rsa:2048
mk new renewed.localhost ec -pkeyopt ec_paramgen_curve:P-256
# openssl ca sets both dates, which x509 -req cannot
cat >ca.cnf <<'CNF'
[ca]
default_ca = d
[d]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = p
copy_extensions = copy
[p]
commonName = supplied
CNF
: >index.txt
echo 1000 >serial
openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in ec.csr \
	-startdate 20200101000000Z -enddate 20200131000000Z -notext \
	-out expired.pem 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	-out other.key 2>/dev/null
chmod 600 ./*.key
