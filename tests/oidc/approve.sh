#!/usr/bin/env bash
# The user's side of the device authorization grant (RFC 8628) at the test
# provider (provider.mjs), done with curl as a browser would: open the
# verification page with the user code, confirm the code, sign in through the
# provider's login form (any login name, any password), grant consent.
#
# usage: approve.sh ISSUER CA_FILE USER_CODE LOGIN_NAME [--deny | --abort]
#   --deny   sign in, then cancel at the consent page ([ Cancel ]): the
#            client's /token then answers access_denied
#   --abort  press [ Abort ] on the device confirmation page, before signing
#            in: the client's /token then answers access_denied as well
# Exits 0 when the provider shows its success page ("Sign-in Success"), or,
# with --deny/--abort, its page saying the sign-in was stopped; otherwise
# prints what the provider said on stderr and exits 1 (2 for bad usage).
# TLS is checked against CA_FILE; a "localhost" issuer is reached on
# 127.0.0.1 (browser.sh). KEEP=1 keeps the pages and the cookie jar and says where.
set -uo pipefail

usage() { echo "usage: approve.sh ISSUER CA_FILE USER_CODE LOGIN_NAME [--deny | --abort]" >&2; exit 2; }
[ $# -eq 4 ] || [ $# -eq 5 ] || usage
issuer=${1%/} ca=$2 user_code=$3 login=$4 mode=${5:-approve}
case $mode in approve | --deny | --abort) ;; *) usage ;; esac
[ -r "$ca" ] || { echo "approve.sh: cannot read CA file $ca" >&2; exit 2; }
[ -n "$login" ] || { echo "approve.sh: empty login name" >&2; exit 2; }

me=approve.sh
source "$(dirname "$0")/browser.sh"

# 1. The verification page with the user code (verification_uri_complete).
#    The provider answers with a form that a browser submits at once by script.
req -G --data-urlencode "user_code=$user_code" "$issuer/device"
[ "$code" = 200 ] || die "verification page: HTTP $code"
action=$(form_action "$page" | unescape)
xsrf=$(hidden_value "$page" xsrf)
if [ -z "$action" ] || [ -z "$xsrf" ]; then die "verification page: no form with an xsrf token"; fi

# 2. Submit it: the device confirmation page, showing the code.
req --data-urlencode "xsrf=$xsrf" --data-urlencode "user_code=$user_code" "$action"
grep -q 'id="op.deviceConfirmForm"' "$page" || die "the user code $user_code was not accepted"
action=$(form_action "$page" | unescape)
xsrf=$(hidden_value "$page" xsrf)
shown=$(hidden_value "$page" user_code | unescape)
if [ -z "$action" ] || [ -z "$xsrf" ]; then die "confirmation page: no form with an xsrf token"; fi

# 3. Confirm the code (Continue) or abort it ([ Abort ]).
if [ "$mode" = --abort ]; then
  req --data-urlencode "xsrf=$xsrf" --data-urlencode "user_code=$shown" \
    --data-urlencode confirm=yes --data-urlencode abort=yes "$action"
  if grep -q 'The Sign-in request was interrupted' "$page"; then
    echo "approve.sh: aborted at the device confirmation page" >&2
    exit 0
  fi
  die "abort at the device confirmation page was not taken"
fi
req --data-urlencode "xsrf=$xsrf" --data-urlencode "user_code=$shown" --data-urlencode confirm=yes "$action"

# 4. Then the interaction pages: the login form, the consent form, until the
#    provider says how it ended.
for _ in 1 2 3 4 5 6; do
  if grep -q '<h1>Sign-in Success</h1>' "$page"; then
    [ "$mode" = approve ] || die "the provider shows success although we denied"
    exit 0
  fi
  if [ "$mode" = --deny ] && grep -q 'The Sign-in request was interrupted' "$page"; then
    echo "approve.sh: denied at the consent page" >&2
    exit 0
  fi
  if [ "$mode" = --deny ] && [ "$(hidden_value "$page" prompt)" = consent ]; then
    cancel=$(tr '\n' ' ' <"$page" | grep -oE '<a href="[^"]*/abort">' | head -1 | cut -d'"' -f2 | unescape)
    [ -n "$cancel" ] || die "consent page: no [ Cancel ] link"
    req "$cancel"
  else
    interaction_step "$login" || die "unexpected page \"$(title_of "$page")\""
  fi
done
die "no end after the interaction pages"
