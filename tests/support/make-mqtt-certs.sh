#!/bin/sh
# Throw-away PKI for MQTT tests: a tenant CA, the broker's certificate for
# localhost, client certificates whose subject is the identity, as sr-cloud
# issues them (cloud: CN=cloud; scouts: O=t1, CN=scout-a / scout-b), and one
# client certificate from an unrelated CA.
# usage: make-mqtt-certs.sh DIR
set -eu
cd "$1"
q() { "$@" 2>/dev/null; }
q openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=tenant-ca
q openssl req -x509 -newkey rsa:2048 -nodes -keyout rogue-ca.key -out rogue-ca.crt -days 2 -subj /CN=rogue
sign() { # NAME CA EXT [SUBJECT]
  q openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "${4:-/CN=$1}"
  q openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial -out "$1.crt" \
    -days 2 -extfile "$3"
}
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
printf 'extendedKeyUsage=clientAuth\n' > client.ext
sign localhost ca server.ext
sign cloud ca client.ext
for id in scout-a scout-b; do sign "$id" ca client.ext "/O=t1/CN=$id"; done
q openssl req -newkey rsa:2048 -nodes -keyout intruder.key -out intruder.csr -subj /O=t1/CN=scout-a
q openssl x509 -req -in intruder.csr -CA rogue-ca.crt -CAkey rogue-ca.key -CAcreateserial \
  -out intruder.crt -days 2 -extfile client.ext
chmod 600 ./*.key
