#!/usr/bin/env bash
# Make sure the system services the tests need are installed and running, on a fresh machine too:
#   - PostgreSQL (Debian's postgresql), a throw-away cluster on 127.0.0.1:${AUTOSERUM_PG_PORT:-54329}
#   - Chromium (Debian's chromium) at /usr/bin/chromium for the browser tests
#   - a font with Korean and Chinese glyphs for the report's figures (fonts-wqy-microhei, 1.6 MB:
#     the smallest Debian package with both; without it the words inside a figure stay English)
# Writes .autoserum-services.env with AUTOSERUM_TEST_PG_URL for the test run.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v /usr/bin/chromium >/dev/null 2>&1 || need+=(chromium fonts-dejavu-core)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "services: please install ${need[*]} (apt-get install ${need[*]})" >&2
    exit 1
  fi
  echo "services: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

port=${AUTOSERUM_PG_PORT:-54329}
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
data=${AUTOSERUM_PG_DIR:-/tmp/autoserum-pg-$port}
run_as() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}
if ! "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
  if [ ! -s "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$data"
    run_as "$pgbin/initdb -D $data -U autoserum --auth=trust --encoding=UTF8 --locale=C.UTF-8" >/dev/null
  fi
  run_as "$pgbin/pg_ctl -D $data -l $data/server.log -w -o '-h 127.0.0.1 -p $port -k /tmp -F' start" >/dev/null
fi
"$pgbin/psql" -h 127.0.0.1 -p "$port" -U autoserum -d postgres -tAc \
  "SELECT 1 FROM pg_database WHERE datname = 'autoserum_test'" | grep -q 1 ||
  "$pgbin/psql" -h 127.0.0.1 -p "$port" -U autoserum -d postgres -qc "CREATE DATABASE autoserum_test"
echo "export AUTOSERUM_TEST_PG_URL=postgresql+psycopg://autoserum@127.0.0.1:$port/autoserum_test" \
  > .autoserum-services.env
echo "services: PostgreSQL on 127.0.0.1:$port, Chromium at /usr/bin/chromium, CJK font wqy-microhei"
