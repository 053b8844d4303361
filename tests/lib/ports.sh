# tests/lib/ports.sh: sourced by the scripts that start test services
# (tests/kdc/start, tests/redis/start, tests/redis/start-sentinel).
#
# free_port prints a port on 127.0.0.1 that nothing listens on (TCP or
# UDP), outside the kernel's ephemeral range: a busy test run holds
# thousands of outgoing connections whose local ports come from that range,
# and binding a listener to one of them fails with "Address already in
# use" although nothing listens there.  Another program may still take the
# port before our service binds it: the callers then try another one.
free_port() {
  local range low high p
  range=$(cat /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo "32768 60999")
  read -r low high <<<"$range"
  for _ in $(seq 200); do
    if [ "$low" -gt 11024 ]; then
      p=$(( 10000 + RANDOM % (low - 10000) ))
    else
      p=$(( high + 1 + RANDOM % (65535 - high) ))
    fi
    if [ -z "$(ss -Hlntu "sport = :$p" 2>/dev/null)" ]; then
      echo "$p"
      return 0
    fi
  done
  return 1
}
