#!/usr/bin/env bash
# The user's side of an OpenID Connect login by authorization code with PKCE
# at the test provider (provider.mjs), done with curl as the release page's
# browser would: open the authorization URL, sign in through the provider's
# login form (any login name, any password), grant consent, and stop at the
# redirect back to REDIRECT_URI, which carries the code.
#
# usage: authorize.sh ISSUER CA_FILE CLIENT_ID REDIRECT_URI CODE_CHALLENGE STATE NONCE LOGIN_NAME
# Prints the authorization code on stdout and exits 0 when the provider
# redirects to REDIRECT_URI with a code and the same state; otherwise prints
# what the provider said (its error page, or the redirect's error) on
# stderr and exits 1 (2 for bad usage). The challenge is S256 (RFC 7636:
# base64url of the verifier's SHA-256). KEEP=1 keeps the pages.
set -uo pipefail

usage() {
  echo "usage: authorize.sh ISSUER CA_FILE CLIENT_ID REDIRECT_URI CODE_CHALLENGE STATE NONCE LOGIN_NAME" >&2
  exit 2
}
[ $# -eq 8 ] || usage
issuer=${1%/} ca=$2 client=$3 redirect=$4 challenge=$5 state=$6 nonce=$7 login=$8
[ -r "$ca" ] || { echo "authorize.sh: cannot read CA file $ca" >&2; exit 2; }
[ -n "$login" ] || { echo "authorize.sh: empty login name" >&2; exit 2; }

me=authorize.sh
source "$(dirname "$0")/browser.sh"
NO_FOLLOW=1 # the last redirect goes to the release page, which is not ours to open

# The value of query parameter NAME in URL (percent-decoded).
query_param() { # URL NAME
  local q=${1#*\?}
  q=${q%%#*}
  tr '&' '\n' <<<"$q" | sed -n "s/^$2=//p" | head -1 |
    python3 -c 'import sys, urllib.parse; print(urllib.parse.unquote_plus(sys.stdin.read().strip()))'
}

req -G --data-urlencode response_type=code --data-urlencode "client_id=$client" \
  --data-urlencode "redirect_uri=$redirect" --data-urlencode "scope=openid email profile" \
  --data-urlencode "state=$state" --data-urlencode "nonce=$nonce" \
  --data-urlencode "code_challenge=$challenge" --data-urlencode code_challenge_method=S256 \
  "$issuer/auth"
for _ in $(seq 12); do
  if [ -n "$location" ]; then
    case $location in
      "$redirect"\?*)
        error=$(query_param "$location" error)
        [ -z "$error" ] || die "the provider redirected with error $error: $(query_param "$location" error_description)"
        [ "$(query_param "$location" state)" = "$state" ] || die "the redirect's state is not ours"
        authorization_code=$(query_param "$location" code)
        [ -n "$authorization_code" ] || die "the redirect has no code"
        echo "$authorization_code"
        exit 0
        ;;
      "$issuer"/*) req "$location" ;;
      *) die "redirected elsewhere: $location" ;;
    esac
  else
    interaction_step "$login" || die "unexpected page \"$(title_of "$page")\""
  fi
done
die "no redirect back after the interaction pages"
