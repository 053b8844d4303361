# Helpers shared by the benchmark scripts (sourced, not run).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-32}
THREADS=${THREADS:-1}
USER_PASS="bench:Bench-Pass-1"
AUTH=$(printf '%s' "$USER_PASS" | base64)
# The gateway authenticates callers: every benchmark calls it as one
# principal with a bearer token (its SHA-256 in the configuration, as
# auth/token.h stores it) and a policy that allows it everything.
BENCH_TOKEN="wmgw_$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
BEARER="Authorization: Bearer $BENCH_TOKEN"
bench_caller_config() {
  printf '[principal bench]\nsid = S-1-5-21-1-2-3-500\ngroups = BA\ntoken-hash = %s\n' \
    "$(printf '%s' "$BENCH_TOKEN" | sha256sum | cut -d' ' -f1)"
  printf '[policy bench-all]\nsddl = D:(A;;GA;;;WD)\n'
}
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_port() { # host port
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listening on $1:$2" >&2; return 1
}

start_sim() { # port bench_instances
  "$BUILD/wmsim" --listen "127.0.0.1:$1" --user "$USER_PASS" --bench-instances "$2" >/dev/null &
  pids+=($!)
  wait_port 127.0.0.1 "$1"
}

# Requests per second from wrk's output.
rps() { awk '/Requests\/sec/ {print $2}'; }

envelope() { # action resource-uri selectors-xml body-xml
  cat <<XML
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration"><s:Header><a:To>http://127.0.0.1/wsman</a:To><w:ResourceURI s:mustUnderstand="true">$2</w:ResourceURI><a:ReplyTo><a:Address s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo><a:Action s:mustUnderstand="true">$1</a:Action><w:MaxEnvelopeSize s:mustUnderstand="true">512000</w:MaxEnvelopeSize><a:MessageID>uuid:00000000-0000-4000-8000-000000000001</a:MessageID><w:OperationTimeout>PT60S</w:OperationTimeout>$3</s:Header><s:Body>$4</s:Body></s:Envelope>
XML
}
