#!/usr/bin/env bash
# Builds the example `null` transport out of tree, as a third-party author
# would: only the installed SDK (headers + pkg-config), no access to the
# source tree's headers; then the host loads the result.
# usage: out_of_tree.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cmake --install "$build" --prefix "$tmp/sdk" >/dev/null
pc=$(find "$tmp/sdk" -name securerelease-plugin.pc)
[ -n "$pc" ] || { echo "FAIL: no securerelease-plugin.pc installed"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
echo "SDK cflags: $(pkg-config --cflags securerelease-plugin)"

cp -r "$src/plugins/transport/null" "$tmp/plugin-src"
cmake -S "$tmp/plugin-src" -B "$tmp/plugin-build" -DCMAKE_INSTALL_PREFIX="$tmp/sdk" >/dev/null
cmake --build "$tmp/plugin-build" >/dev/null
cmake --install "$tmp/plugin-build" >/dev/null

# the plugin goes where the .pc's `plugindir` says (docs/plugins.md)
plugindir=$(pkg-config --variable=plugindir securerelease-plugin)
so=$plugindir/sr_transport_null.so
[ -f "$so" ] && [ "$so" -nt "$pc" ] || { echo "FAIL: the plugin is not in plugindir ($plugindir)"; exit 1; }
out=$("$build/bin/srctl" plugin inspect "$so")
echo "$out"
grep -q '^name: *null$' <<<"$out"
grep -q '^kind: *transport$' <<<"$out"
# built against the installed SDK, loaded by this host: the same version,
# as sr/abi.h in the source tree says
abi_h=$src/core/include/sr/abi.h
abi="$(awk '$2 == "SR_ABI_MAJOR" {print $3}' "$abi_h").$(awk '$2 == "SR_ABI_MINOR" {print $3}' "$abi_h")"
grep -qF "abi:         $abi (host $abi)" <<<"$out"
pc_abi="$(pkg-config --variable=abi_major securerelease-plugin).$(pkg-config --variable=abi_minor securerelease-plugin)"
[ "$pc_abi" = "$abi" ] || { echo "FAIL: the .pc says ABI $pc_abi, sr/abi.h says $abi"; exit 1; }
echo "1 passed, 0 failed"
