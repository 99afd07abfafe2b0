# Sourced by tests: an OpenLDAP slapd on 127.0.0.1 in DIR, LDAPS with the
# stack's server certificate, with users from LDIF on stdin (passwords as
# userPassword: {CLEARTEXT}... are hashed here). Sets $ldap_url, $slapd_pid.
# usage: start_slapd DIR CERT KEY CA < users.ldif
start_slapd() {
  local d=$1 cert=$2 key=$3 ca=$4
  mkdir -p "$d/db"
  cat >"$d/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile $d/slapd.pid
TLSCertificateFile $cert
TLSCertificateKeyFile $key
TLSCACertificateFile $ca
database mdb
suffix "dc=example,dc=com"
rootdn "cn=admin,dc=example,dc=com"
rootpw $(slappasswd -s admin-secret)
directory $d/db
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
CONF
  # hash each {CLEARTEXT} password the way a directory stores it
  local line
  while IFS= read -r line; do
    case $line in
    "userPassword: {CLEARTEXT}"*) echo "userPassword: $(slappasswd -s "${line#userPassword: \{CLEARTEXT\}}")" ;;
    *) echo "$line" ;;
    esac
  done >"$d/users.ldif"
  slaptest -f "$d/slapd.conf" -u >"$d/slaptest.log" 2>&1 || { cat "$d/slaptest.log"; return 1; }
  slapadd -f "$d/slapd.conf" -l "$d/users.ldif" >"$d/slapadd.log" 2>&1 || { cat "$d/slapadd.log"; return 1; }
  local port
  port=$(python3 "${BASH_SOURCE[0]%/*}/../../scripts/lib/free_port.py" $$)
  slapd -f "$d/slapd.conf" -h "ldaps://127.0.0.1:$port/" -d 0 >"$d/slapd.log" 2>&1 &
  slapd_pid=$!
  for _ in $(seq 200); do ss -ltnH "sport = :$port" | grep -q . && break; sleep 0.025; done
  ldap_url=ldaps://127.0.0.1:$port
}
