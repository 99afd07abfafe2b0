#!/usr/bin/env bash
# Printer labels (issue 13): the site service reports its release page's
# base URL (panel.public_url) with its heartbeats, the cloud gives each
# device its release_url, and `srctl device label` draws sheets whose QR
# codes a decoder that is not ours (zbarimg, on pdftoppm's and
# rsvg-convert's rasters) reads back as those URLs: PDF on A4 and Letter,
# SVG, many devices on several sheets, the name, location and URL in text,
# the code at least 3 cm wide. A device added by hand takes the one URL the
# tenant's sites agree on (none when a second site differs), one a site's
# scan found takes that site's. Refused: unknown devices, a malformed
# public_url (in the site's file, in a heartbeat), and static labels when
# the tenant takes rotating codes only.
# usage: device_labels.sh BIN_DIR PLUGIN_DIR SOURCE_DIR
set -u
bin=$(cd "$1" && pwd) plugins=$2 src=$3
source "$src/tests/support/stack_test.sh" labels
export STACK_SITE_HEARTBEAT=1s # a restarted site's new URL reaches the cloud at once anyway

stack_start "$tmp" "$bin" "$plugins" || { echo "the stack did not start"; exit 1; }

release_url() { # DEVICE: its release_url in the cloud's device listing
  stack_srctl device list --json | jq -r --arg d "$1" '.devices[] | select(.id == $d) | .release_url'
}
url_is() { [ "$(release_url "$1")" = "$2" ]; }

# The default base URL: the panel listener's address and port.
base="https://127.0.0.1:$site_port"
check "the cloud gives printer1 the site's release page ($base/r/printer1)" \
  wait_until 100 url_is printer1 "$base/r/printer1"

# Eleven devices: more than one sheet of eight.
ids=(printer1)
for i in $(seq -w 1 10); do
  stack_srctl device add "lab-$i" --name "Floor $i copier" --location "Building A, floor $i, by the lifts" \
    --uri "ipps://localhost:$printer_port/ipp/print" >/dev/null || echo "device lab-$i not added"
  ids+=("lab-$i")
done
expected=$(for d in "${ids[@]}"; do echo "$base/r/$d"; done | sort)
check "a device's location is in the listing" \
  ok '[ "$(stack_srctl device list --json | jq -r ".devices[] | select(.id == \"lab-03\") | .location")" = "Building A, floor 03, by the lifts" ]'
check "each new device has its release_url" ok '[ "$(release_url lab-10)" = "$base/r/lab-10" ]'

# Every QR code of the PNG pages given, decoded, one a line, sorted (zbar
# complains on stderr that it has no D-Bus).
decode() { for png in "$@"; do zbarimg -q --raw "$png" 2>/dev/null; done | sort; }
# PDF PREFIX: each label cell of each page as its own PNG at 200 dpi,
# PREFIX-PAGE-CELL.png, as a phone sees one label. (Whole pages of eight
# codes made zbar miss one now and then, depending on the URLs' ports.)
# The cells are where srctl draws them: 2 x 4 cells of 90 x 62 mm, the
# grid centred on the page.
raster() {
  local pages w h p c geometry
  pages=$(pdfinfo "$1" | awk '/^Pages:/ {print $2}')
  read -r w h < <(pdfinfo "$1" | awk '/^Page size:/ {print $3, $5}')
  for p in $(seq "$pages"); do
    for c in 0 1 2 3 4 5 6 7; do
      geometry=$(awk -v w="$w" -v h="$h" -v c="$c" 'BEGIN {
        mm = 72 / 25.4; px = 200 / 72; cw = 90 * mm; ch = 62 * mm
        x = (w - 2 * cw) / 2 + (c % 2) * cw; y = (h - 4 * ch) / 2 + int(c / 2) * ch
        printf "-x %d -y %d -W %d -H %d", x * px, y * px, cw * px, ch * px }')
      # shellcheck disable=SC2086 # the geometry is four options
      pdftoppm -r 200 -png -singlefile -f "$p" -l "$p" $geometry "$1" "$2-$p-$c" || return 1
    done
  done
}

# PDF, A4: two sheets, every code decodes to its device's URL.
cd "$tmp" || exit 1
check "srctl device label --all writes a PDF" \
  ok 'stack_srctl device label --all --out a4.pdf >label.out 2>&1'
check "it says how many labels on how many sheets" ok 'grep -q "^11 labels on 2 sheets: a4.pdf" label.out'
check "the PDF has 2 pages" ok '[ "$(pdfinfo a4.pdf | awk "/^Pages:/ {print \$2}")" = 2 ]'
check "its pages are A4 (595 x 842 pt)" \
  ok 'pdfinfo -f 1 -l 2 a4.pdf | grep -E "^Page +[12] size:" | grep -c "595.276 x 841.89 pts (A4)" | grep -qx 2'
raster a4.pdf a4
check "zbarimg reads the 11 release URLs from the A4 pages" ok '[ "$(decode a4-*.png)" = "$expected" ]'
check "8 codes on the first sheet, 3 on the second" \
  ok '[ "$(decode a4-1-*.png | wc -l)" = 8 ] && [ "$(decode a4-2-*.png | wc -l)" = 3 ]'
pdftotext a4.pdf - | tr '\n' ' ' >a4.txt
check "the labels carry the name, location and URL in text" \
  ok 'grep -q "Floor 07 copier" a4.txt && grep -q "Building A, floor 07, by the lifts" a4.txt &&
      grep -q "$base/r/lab-07" a4.txt'

# The code's size on paper: one label rendered in grey at 200 dpi; the
# code's left column is the page's leftmost dark pixels (the text is to its
# right, the cut lines are light grey), and down that column its finder
# patterns span the code's height, which is its width.
qr_cm() { # PDF: the first label's code, in cm
  pdftoppm -r 200 -gray -f 1 -l 1 "$1" >qr.pgm
  python3 - qr.pgm <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
fields, pos = [], 0
while len(fields) < 4:  # P5 WIDTH HEIGHT MAXVAL, then one byte a pixel
    while data[pos:pos + 1].isspace(): pos += 1
    end = pos
    while not data[end:end + 1].isspace(): end += 1
    fields.append(data[pos:end]); pos = end
w, h = int(fields[1]), int(fields[2])
px = data[pos + 1:]
dark = lambda x, y: px[y * w + x] < 100
x0 = min(x for y in range(h) for x in range(w) if dark(x, y))
col = [y for y in range(h) if dark(x0 + 2, y)]
print("%.2f" % ((col[-1] - col[0] + 1) / 200 * 2.54))
PY
}
stack_srctl device label lab-01 --out one.pdf >/dev/null
width=$(qr_cm one.pdf)
echo "  a label's QR code is ${width} cm wide"
check "the QR code is at least 3 cm wide" ok "[ \$(echo \"${width:-0} >= 3\" | bc) = 1 ]"

# Letter.
check "--paper letter writes US Letter pages (612 x 792 pt)" \
  ok 'stack_srctl device label --all --paper letter --out letter.pdf >/dev/null &&
      pdfinfo letter.pdf | grep -q "^Page size: *612 x 792 pts (letter)"'
raster letter.pdf letter
check "zbarimg reads the 11 URLs from the Letter pages" ok '[ "$(decode letter-*.png)" = "$expected" ]'

# SVG: a file per sheet.
check "--format svg writes a file per sheet" \
  ok 'stack_srctl device label --all --format svg --out sheet.svg >/dev/null && [ -s sheet-1.svg ] && [ -s sheet-2.svg ] && [ ! -e sheet-3.svg ]'
# (each sheet turned into a page of the same size by librsvg, then cut by cell)
rsvg-convert -f pdf sheet-1.svg -o sheet-1.pdf && rsvg-convert -f pdf sheet-2.svg -o sheet-2.pdf &&
  raster sheet-1.pdf sheet-1 && raster sheet-2.pdf sheet-2
check "zbarimg reads the 11 URLs from the SVG sheets" ok '[ "$(decode sheet-[12]-*.png)" = "$expected" ]'
check "one device's SVG is one file, named as given" \
  ok 'stack_srctl device label lab-02 --format svg --out one.svg >/dev/null && [ ! -e one-1.svg ] &&
      rsvg-convert -z 2 one.svg -o one.png && [ "$(decode one.png)" = "$base/r/lab-02" ]'

# Devices named on the command line, in that order, and --base-url.
check "labels for named devices only" \
  ok 'stack_srctl device label lab-05 printer1 --out two.pdf >/dev/null && raster two.pdf two &&
      [ "$(decode two-*.png)" = "$(printf "%s\n" "$base/r/lab-05" "$base/r/printer1" | sort)" ]'
check "--base-url puts another base in the codes" \
  ok 'stack_srctl device label lab-01 --base-url https://print.example.com --out base.pdf >/dev/null &&
      raster base.pdf base && [ "$(decode base-*.png)" = "https://print.example.com/r/lab-01" ]'
check "--format terminal prints the URL and a code" \
  ok 'stack_srctl device label printer1 --format terminal >term.txt && grep -qx "$base/r/printer1" term.txt &&
      grep -q "Demo Printer" term.txt && [ "$(grep -c "█" term.txt)" -gt 10 ]'

# Refusals, each with what to do.
check "an unknown device is refused, named" \
  ok '! stack_srctl device label nosuch --out x.pdf 2>err.txt && grep -q "no device .nosuch." err.txt && [ ! -e x.pdf ]'
check "neither ids nor --all is a usage error (64)" \
  ok 'stack_srctl device label >/dev/null 2>&1; [ $? = 64 ]'
check "a malformed --base-url is refused (64)" \
  ok 'stack_srctl device label printer1 --base-url http://x/ >/dev/null 2>&1; [ $? = 64 ]'
check "device set changes a device's name and location" \
  ok 'stack_srctl device set lab-06 --name "Reception printer" --location "Lobby, left of the desk" | grep -q "location Lobby" &&
      stack_srctl device label lab-06 --out set.pdf >/dev/null && pdftotext set.pdf - | tr "\n" " " | grep -q "Reception printer.*Lobby, left of the desk"'
check "device set --location none clears it" \
  ok 'stack_srctl device set lab-06 --location none >/dev/null && [ "$(stack_srctl device list --json | jq -r ".devices[] | select(.id == \"lab-06\") | .location")" = null ]'
check "device set of an unknown device fails" ok '! stack_srctl device set nosuch --location x 2>/dev/null'
long=$(printf 'x%.0s' $(seq 201))
check "a location longer than 200 bytes is refused" \
  ok '! stack_srctl device add bad --location "$long" --uri "ipps://localhost/ipp/print" 2>/dev/null &&
      ! stack_srctl device set lab-01 --location "$long" 2>/dev/null'

# Another tenant sees none of it: its listing is empty, A's device is
# not found for it, neither to read, to change nor to label.
SR_CLOUD_URL=$cloud_url SR_CLOUD_CA=$ca_file SR_TOKEN_FILE=$stack_dir/cloud/operator-token \
  "$bin/srctl" tenant create other --token-out "$tmp/other-token" >/dev/null
b_ctl() { SR_CLOUD_URL=$cloud_url SR_CLOUD_CA=$ca_file SR_TOKEN_FILE=$tmp/other-token "$bin/srctl" "$@"; }
b_get() { curl -sS --cacert "$ca_file" -H "Authorization: Bearer $(cat "$tmp/other-token")" -o /dev/null \
  -w '%{http_code}' "$@" "$cloud_url/api/v1/devices/lab-01"; }
check "control: A's own GET of its device: 200 with its release_url" \
  ok '[ "$(curl -sS --cacert "$ca_file" -H "Authorization: Bearer $(cat "$token_file")" "$cloud_url/api/v1/devices/lab-01" |
        jq -r .release_url)" = "$base/r/lab-01" ]'
check "another tenant lists no devices" ok '[ "$(b_ctl device list --json | jq ".devices | length")" = 0 ]'
check "another tenant's GET of A's device: 404" ok '[ "$(b_get)" = 404 ]'
check "another tenant's PATCH of A's device: 404, unchanged" \
  ok '[ "$(b_get -X PATCH -H "Content-Type: application/json" -d "{\"location\":\"x\"}")" = 404 ] &&
      [ "$(stack_srctl device list --json | jq -r ".devices[] | select(.id == \"lab-01\") | .location")" = "Building A, floor 01, by the lifts" ]'
check "another tenant cannot label A's device" ok '! b_ctl device label lab-01 --out b.pdf 2>/dev/null && [ ! -e b.pdf ]'

# panel.public_url: the site's configured URL reaches the cloud.
STACK_SITE_PUBLIC_URL=https://print.example.com:9443 stack_site_restart >/dev/null 2>&1
check "a configured panel.public_url becomes the devices' release_url" \
  wait_until 100 url_is lab-04 "https://print.example.com:9443/r/lab-04"
check "...and the labels' codes" \
  ok 'stack_srctl device label lab-04 --out pub.pdf >/dev/null && raster pub.pdf pub &&
      [ "$(decode pub-*.png)" = "https://print.example.com:9443/r/lab-04" ]'
# (beside the good one: its paths are relative to the file)
sed 's|public_url: .*}|public_url: http://print.example.com/}|' "$stack_dir/site/site.yaml" \
  >"$stack_dir/site/bad-site.yaml"
check "a malformed panel.public_url stops the site service at start, named" \
  ok '! timeout 20 "$bin/sr-device-scout" --config "$stack_dir/site/bad-site.yaml" >/dev/null 2>bad-site.err &&
      grep -q "panel.public_url" bad-site.err'

# The heartbeat as the cloud takes it, from a site's certificate: a
# malformed URL or another field is refused and changes nothing.
heartbeat() { # CERT KEY BODY: sets $code, $body
  code=$(curl -sS --cacert "$ca_file" --cert "$1" --key "$2" -H 'Content-Type: application/json' \
    -d "$3" -o resp.json -w '%{http_code}' "$cloud_url/api/v1/site/heartbeat" 2>curl.err) || code=000
  body=$(cat resp.json)
}
site_crt=$stack_dir/site/site.crt site_key=$stack_dir/site/site.key
heartbeat "$site_crt" "$site_key" '{"public_url": "http://print.example.com"}'
check "a heartbeat with a plain-HTTP URL is refused (400 invalid: $code)" \
  ok '[ "$code" = 400 ] && [ "$(echo "$body" | jq -r .error.code)" = invalid ]'
heartbeat "$site_crt" "$site_key" '{"public_url": "https://a.example.com", "devices": []}'
check "a heartbeat with another field is refused (400 unknown_field: $code)" \
  ok '[ "$code" = 400 ] && [ "$(echo "$body" | jq -r .error.code)" = unknown_field ]'
check "...and the release URL is unchanged" url_is lab-04 "https://print.example.com:9443/r/lab-04"

# A second site with another URL: a device added by hand serves both, so
# it has no one URL; a label for it needs --base-url. The second site
# forgetting its URL (null) gives the device the first site's again.
sed 's/site\.crt/site2.crt/; s/site\.key/site2.key/' "$stack_dir/site/site.yaml" >"$stack_dir/site/site2.yaml"
token=$(stack_srctl scout enroll --kind site --name "Second site" --json | jq -r .enrollment_token)
"$bin/sr-device-scout" enroll --config "$stack_dir/site/site2.yaml" --token "$token" >/dev/null 2>&1
heartbeat "$stack_dir/site/site2.crt" "$stack_dir/site/site2.key" '{"public_url": "https://other.example.com"}'
check "a second site's heartbeat with its URL is taken ($code)" ok '[ "$code" = 200 ]'
check "a device added by hand has no release_url while its sites disagree" url_is lab-04 null
check "a label for it is refused, saying what to do" \
  ok '! stack_srctl device label lab-04 --out none.pdf 2>none.err && grep -q "no release page URL" none.err &&
      grep -q -- "--base-url" none.err && [ ! -e none.pdf ]'
# A printer the second site's scan found is that site's: its URL.
jq -cn '{scan: {id: "5ca1ab1e", started_at: ((now | floor) - 60), finished_at: (now | floor),
  complete: false, addresses: 1, packets: 2}, devices: [{address: "127.0.0.50", kind: "printer",
  snmp: "127.0.0.50:161", version: "2c", credential: "office", vendor: "HP", model: "M507",
  serial: "SN50", uris: ["ipps://127.0.0.50:631/ipp/print"]}]}' >scan.json
curl -sS --cacert "$ca_file" --cert "$stack_dir/site/site2.crt" --key "$stack_dir/site/site2.key" \
  -X PUT -H 'Content-Type: application/json' --data-binary @scan.json -o /dev/null "$cloud_url/api/v1/site/discovery"
found=$(stack_srctl device discovered --json | jq -r '.discovered[] | select(.address == "127.0.0.50") | .id')
stack_srctl device accept "$found" --id found-2 >/dev/null 2>&1
check "a printer the second site found takes that site's URL" url_is found-2 "https://other.example.com/r/found-2"
heartbeat "$stack_dir/site/site2.crt" "$stack_dir/site/site2.key" '{"public_url": null}'
check "a site's null public_url is forgotten: one URL again" \
  url_is lab-04 "https://print.example.com:9443/r/lab-04"

# Rotating codes only: a static label would log no one in.
check "the tenant takes rotating codes only" ok 'stack_srctl settings set release_codes=rotating >/dev/null'
check "labels are refused then: they would log no one in" \
  ok '! stack_srctl device label --all --out rot.pdf 2>rot.err && grep -q "release_codes" rot.err && [ ! -e rot.pdf ]'
stack_srctl settings set release_codes=both >/dev/null

checks_done
