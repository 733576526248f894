#!/usr/bin/env bash
# The installed tree works without the source tree: `cmake --install` into a temporary
# prefix, then check-config on the installed config with the environment example's
# variables, then the sandbox from there answering one invite with 200.
# usage: install_test.sh BUILD_DIR
set -euo pipefail

build=$1
work=$(mktemp -d)
prefix=$work/prefix
pid=
cleanup() {
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

cmake --install "$build" --prefix "$prefix" >"$work/install.log" || {
    cat "$work/install.log" >&2
    fail "cmake --install"
}

for file in bin/invitegw etc/invitegw/gateway.yaml etc/invitegw/invitegw.env.example \
    share/invitegw/openapi.json share/invitegw/config/gateway.yaml \
    share/invitegw/providers/anthropic.yaml lib/systemd/system/invitegw.service; do
    [[ -f $prefix/$file ]] || fail "not installed: $file"
done
[[ -x $prefix/bin/invitegw ]] || fail "bin/invitegw is not executable"

unit=$prefix/lib/systemd/system/invitegw.service
for line in "ExecStartPre=$prefix/bin/invitegw check-config $prefix/etc/invitegw/gateway.yaml" \
    "ExecStart=$prefix/bin/invitegw serve --config $prefix/etc/invitegw/gateway.yaml" \
    "EnvironmentFile=$prefix/etc/invitegw/invitegw.env"; do
    grep -qxF "$line" "$unit" || fail "the unit lacks: $line"
done

# The example leaves every value to fill in; a client key, GoRules' base URL (it has no
# default) and ClickHouse's organization id are what the config cannot load without. Run from / with nothing
# else in the environment, so that only installed files can be read.
(
    cd /
    set -a
    # shellcheck disable=SC1091
    . "$prefix/etc/invitegw/invitegw.env.example"
    INVITEGW_CLIENT_KEY=install-test-client-key-0123
    GORULES_BASE_URL=https://gorules.example.com
    CLICKHOUSE_ORG_ID=7c4a8d09-ca37-4d5a-b1e8-0a3f2f5e1d11
    ATOMICWORK_TENANT=acme
    set +a
    "$prefix/bin/invitegw" check-config "$prefix/etc/invitegw/gateway.yaml"
) >"$work/check.out" 2>&1 || {
    cat "$work/check.out" >&2
    fail "check-config of the installed config"
}

# A config named explicitly is the only one the sandbox tries.
if (cd / && env -i PATH="$PATH" INVITEGW_SANDBOX_CONFIG="$work/missing.yaml" INVITEGW_LISTEN=127.0.0.1:0 \
    timeout 30 "$prefix/bin/invitegw" serve --sandbox) >"$work/missing.out" 2>&1; then
    fail "the sandbox served without the config named by INVITEGW_SANDBOX_CONFIG"
fi
grep -qF "$work/missing.yaml" "$work/missing.out" || {
    cat "$work/missing.out" >&2
    fail "the sandbox did not name the missing config"
}

# The sandbox, from the installed tree, on a free port.
mkfifo "$work/welcome"
(cd / && exec env -i PATH="$PATH" INVITEGW_LISTEN=127.0.0.1:0 INVITEGW_STATE_PATH="$work/state/ledger.db" \
    "$prefix/bin/invitegw" serve --sandbox >"$work/welcome" 2>"$work/log") &
pid=$!
exec 3<"$work/welcome"
port= key=
for _ in $(seq 40); do
    IFS= read -r -t 30 -u 3 line || break
    if [[ $line =~ http://127\.0\.0\.1:([0-9]+)/v1/invitations ]]; then port=${BASH_REMATCH[1]}; fi
    if [[ $line =~ Bearer\ ([^\']+) ]]; then key=${BASH_REMATCH[1]}; fi
    [[ -n $port && -n $key ]] && break
done
[[ -n $port && -n $key ]] || {
    cat "$work/log" >&2
    fail "the sandbox printed no address and key"
}

status=$(curl -sS --max-time 20 -o "$work/reply" -w '%{http_code}' \
    "http://127.0.0.1:$port/v1/invitations" \
    -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    -d '{"invitations": [{"email": "jane.doe@example.com", "role": "developer"}]}') || fail "curl"
[[ $status == 200 ]] || {
    cat "$work/reply" "$work/log" >&2
    fail "the sandbox answered $status, not 200"
}
grep -q '"invited":5' "$work/reply" || {
    cat "$work/reply" >&2
    fail "not every vendor invited"
}
# The sandbox's ledger, where INVITEGW_STATE_PATH says, holds the request.
request_id=$(sed -nE 's/.*"request_id":"([^"]+)".*/\1/p' "$work/reply" | head -1)
[[ -f $work/state/ledger.db ]] || fail "the sandbox created no ledger at INVITEGW_STATE_PATH"
status=$(curl -sS --max-time 20 -o "$work/lookup" -w '%{http_code}' \
    "http://127.0.0.1:$port/v1/requests/$request_id" -H "Authorization: Bearer $key") || fail "curl"
[[ $status == 200 ]] && grep -q '"state":"completed"' "$work/lookup" || {
    cat "$work/lookup" >&2
    fail "GET /v1/requests/$request_id answered $status, not the completed request"
}
grep -qF "\"config\":\"$prefix/share/invitegw/config/gateway.yaml\"" "$work/log" || {
    cat "$work/log" >&2
    fail "the sandbox did not serve the installed config"
}

kill -TERM "$pid"
timeout 30 tail --pid="$pid" -f /dev/null || fail "the sandbox did not stop within 30 s of SIGTERM"
code=0
wait "$pid" || code=$?
pid=
exec 3<&-
[[ $code == 0 ]] || fail "the sandbox exited with $code after SIGTERM"
echo "install: 1 passed, 0 failed"
