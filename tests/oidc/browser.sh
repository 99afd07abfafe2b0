# What approve.sh and authorize.sh share: curl acting as a person's browser
# at the test provider (provider.mjs), cookies kept in a jar.
# Sourced after `set -uo pipefail`, with $issuer and $ca set and $me the
# script's name. Sets $tmp (removed on exit unless KEEP is set) and $jar.
# TLS is checked against $ca; a "localhost" issuer is reached on 127.0.0.1.

# https://HOST[:PORT][/path]
hostport=${issuer#https://}
[ "$hostport" != "$issuer" ] || { echo "$me: issuer must be https://…: $issuer" >&2; exit 2; }
hostport=${hostport%%/*}
host=${hostport%:*} port=${hostport##*:}
[ "$host" != "$hostport" ] || port=443
resolve=()
[ "$host" = localhost ] && resolve=(--resolve "localhost:$port:127.0.0.1")

tmp=$(mktemp -d "/tmp/sr-oidc-$me-XXXXXX")
if [ -n "${KEEP:-}" ]; then
  echo "$me: pages and cookie jar kept in $tmp" >&2
else
  trap 'rm -rf "$tmp"' EXIT
fi
jar=$tmp/cookies
step=0 page='' url='' code='' location=''

die() {
  echo "$me: $*" >&2
  if [ -n "$page" ] && [ -s "$page" ]; then
    echo "$me: last page: $url (HTTP $code): $(page_says "$page")" >&2
  fi
  exit 1
}

# GET or POST like a browser (cookies kept); redirects are followed unless
# NO_FOLLOW=1, then $location is where the answer points. The body goes to
# a new file, named in $page; $url and $code are where it ended and how.
req() {
  step=$((step + 1))
  page=$tmp/page$step.html
  local out follow=(-L --max-redirs 10)
  [ -n "${NO_FOLLOW:-}" ] && follow=()
  out=$(curl -sS "${follow[@]}" --proto '=https' --proto-redir '=https' \
    --connect-timeout 5 --max-time 30 --cacert "$ca" "${resolve[@]}" \
    -b "$jar" -c "$jar" -o "$page" -w '%{http_code} %{url_effective} %{redirect_url}' "$@") \
    || die "request $step failed: curl $*"
  code=${out%% *} out=${out#* }
  url=${out%% *} location=${out#* }
}

# What a page says to a person: its title, headings and messages, one line.
page_says() {
  tr '\n' ' ' <"$1" |
    grep -oE '<title>[^<]*</title>|<h1>[^<]*</h1>|<p class="red">[^<]*</p>|<pre>[^<]*</pre>|<p>[^<]*</p>' |
    sed -E 's/<[^>]*>//g; s/^ +| +$//g' | grep -v '^$' | paste -sd '|' | sed 's/|/ | /g'
}

title_of() { tr '\n' ' ' <"$1" | grep -oE '<title>[^<]*</title>' | head -1 | sed -E 's/<[^>]*>//g'; }

# The first form's action, and the value of a hidden input in it.
form_action() { tr '\n' ' ' <"$1" | grep -oE '<form[^>]*>' | head -1 | grep -oE 'action="[^"]*"' | cut -d'"' -f2; }
hidden_value() {
  tr '\n' ' ' <"$1" | grep -oE "<input[^>]*name=\"$2\"[^>]*>" | head -1 |
    grep -oE 'value="[^"]*"' | cut -d'"' -f2
}
unescape() { sed 's/&amp;/\&/g; s/&#39;/'"'"'/g; s/&quot;/"/g; s/&lt;/</g; s/&gt;/>/g'; }

# The provider's login form (any password) or consent form on $page: true
# after submitting the one shown, false if $page is neither.
interaction_step() { # LOGIN_NAME
  local prompt action
  prompt=$(hidden_value "$page" prompt)
  action=$(form_action "$page" | unescape)
  case $prompt in
    login) req --data-urlencode prompt=login --data-urlencode "login=$1" \
      --data-urlencode password=any-password "$action" ;;
    consent) req --data-urlencode prompt=consent "$action" ;;
    *) return 1 ;;
  esac
}
