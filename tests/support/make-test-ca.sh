#!/bin/sh
# Makes a throw-away CA and a certificate for "localhost" (and 127.0.0.1,
# ::1) signed by it, plus a second, unrelated CA, for TLS tests.
# usage: make-test-ca.sh DIR   -> DIR/ca.crt DIR/localhost.{crt,key} DIR/other-ca.crt
set -eu
d=$1
cd "$d"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 \
  -subj /CN=securerelease-test-ca 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.crt -days 2 \
  -subj /CN=some-other-ca 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout localhost.key -out localhost.csr \
  -subj /CN=localhost 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n' > ext.cnf
openssl x509 -req -in localhost.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
  -out localhost.crt -days 2 -extfile ext.cnf 2>/dev/null
chmod 600 ./*.key
