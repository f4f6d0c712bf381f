#!/usr/bin/env bash
# Benchmark of the db_migration role against `pg_dump | psql` and `pgcopydb clone` on one >= 800 MB dataset
# (pgbench scale 40 plus secondary indexes and a jsonb table), in the same run, on a private pair of local-stack
# PostgreSQL servers. Writes the figures to docs/benchmarks.md (or $BENCH_OUT).
#
#   make bench-migration            (or: scripts/bench_migration.sh)
# Settings: BENCH_SCALE (40), BENCH_JSON_ROWS (600000), BENCH_SOURCE_PORT/BENCH_TARGET_PORT (55452/55453).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
SCALE="${BENCH_SCALE:-40}"
JSON_ROWS="${BENCH_JSON_ROWS:-600000}"
OUT="${BENCH_OUT:-$ROOT/docs/benchmarks.md}"
STATE="$(mktemp -d /tmp/lwo-bench.XXXXXX)"
chmod 0711 "$STATE"
export LWO_PG_SOURCE_PORT="${BENCH_SOURCE_PORT:-55452}" LWO_PG_TARGET_PORT="${BENCH_TARGET_PORT:-55453}"

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
cleanup() { (cd "$ROOT" && "$PY" -m scripts.local_stack.postgres down --state-dir "$STATE" >/dev/null 2>&1) || true; rm -rf "$STATE"; }
trap cleanup EXIT

if ! command -v pgcopydb >/dev/null; then
  log "installing pgcopydb (Debian package)"
  if [ "$(id -u)" -ne 0 ]; then echo "pgcopydb missing: run apt-get install -y pgcopydb as root" >&2; exit 1; fi
  apt-get install -y pgcopydb >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y pgcopydb >/dev/null; }
fi
PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"

cd "$ROOT"
log "starting a private source and target in $STATE"
"$PY" -m scripts.local_stack.postgres up --state-dir "$STATE" >&2
eval "$("$PY" -m scripts.local_stack.postgres env --state-dir "$STATE")"

# Passwords reach the client tools through a private pgpass file, never the command line.
export PGPASSFILE="$STATE/pgpass"
umask 077
printf '127.0.0.1:%s:*:%s:%s\n127.0.0.1:%s:*:%s:%s\n' \
  "$LWO_PG_SOURCE_PORT" "$LWO_PG_SOURCE_USER" "$LWO_PG_SOURCE_PASSWORD" \
  "$LWO_PG_TARGET_PORT" "$LWO_PG_TARGET_USER" "$LWO_PG_TARGET_PASSWORD" > "$PGPASSFILE"
umask 022
SRC=(-h 127.0.0.1 -p "$LWO_PG_SOURCE_PORT" -U "$LWO_PG_SOURCE_USER")
TGT=(-h 127.0.0.1 -p "$LWO_PG_TARGET_PORT" -U "$LWO_PG_TARGET_USER")

log "building the dataset: pgbench scale $SCALE, secondary indexes, jsonb table of $JSON_ROWS rows"
"$PGBIN/psql" -X -q "${SRC[@]}" -d postgres -c "CREATE DATABASE bench OWNER lifeworld_app"
PGUSER="$LWO_PG_SOURCE_USER" "$PGBIN/pgbench" -i -q -s "$SCALE" "${SRC[@]}" bench >/dev/null 2>&1
"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "${SRC[@]}" -d bench <<SQL
ALTER TABLE pgbench_accounts OWNER TO lifeworld_app;
ALTER TABLE pgbench_branches OWNER TO lifeworld_app;
ALTER TABLE pgbench_tellers OWNER TO lifeworld_app;
ALTER TABLE pgbench_history OWNER TO lifeworld_app;
CREATE INDEX pgbench_accounts_bid_idx ON pgbench_accounts (bid);
CREATE INDEX pgbench_accounts_abalance_idx ON pgbench_accounts (abalance, aid);
CREATE TABLE documents (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, owner int NOT NULL, body jsonb NOT NULL);
ALTER TABLE documents OWNER TO lifeworld_app;
INSERT INTO documents (owner, body)
SELECT g % 5000, jsonb_build_object('title', 'Document ' || g, 'tags', jsonb_build_array('a' || g % 7, 'b' || g % 11),
       'text', repeat(md5(g::text), 6), 'n', g, 'nested', jsonb_build_object('x', g * 1.5, 'y', g % 3 = 0))
FROM generate_series(1, $JSON_ROWS) g;
CREATE INDEX documents_owner_idx ON documents (owner);
CREATE INDEX documents_body_idx ON documents USING gin (body jsonb_path_ops);
VACUUM ANALYZE;
SQL
SIZE_BYTES="$("$PGBIN/psql" -X -At "${SRC[@]}" -d bench -c "SELECT pg_database_size('bench')")"
log "dataset: $((SIZE_BYTES / 1048576)) MiB"

create_target() { "$PGBIN/psql" -X -q "${TGT[@]}" -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
log "1/3 the db_migration role (ansible-playbook playbooks/migrate_database.yml)"
create_target bench_role
WORK="$STATE/role-work"
t0=$(now)
ANSIBLE_CONFIG="$ROOT/ansible.cfg" "$ROOT/.venv/bin/ansible-playbook" -i inventories/local playbooks/migrate_database.yml \
  -e db_migration_source_database=bench -e db_migration_target_database=bench_role \
  -e "db_migration_work_dir=$WORK" -e "db_migration_backup_dir=$STATE/role-backup" \
  -e "db_migration_dump_format=${BENCH_ROLE_DUMP_FORMAT:-custom}" > "$STATE/role.log" 2>&1 \
  || { tail -40 "$STATE/role.log" >&2; exit 1; }
t1=$(now)
ROLE_TOTAL=$(elapsed "$t0" "$t1")
read -r ROLE_BACKUP ROLE_RESTORE ROLE_VERIFY < <("$PY" - "$WORK" <<'PY'
import json, sys, pathlib
work = pathlib.Path(sys.argv[1])
print(*(json.loads((work / f"result-{s}.json").read_text())["seconds"] for s in ("backup", "restore", "verify")))
PY
)
ROLE_COPY=$(awk -v a="$ROLE_TOTAL" -v v="$ROLE_VERIFY" 'BEGIN { printf "%.1f", a - v }')
log "role: total ${ROLE_TOTAL}s (backup ${ROLE_BACKUP}s, restore ${ROLE_RESTORE}s, verify ${ROLE_VERIFY}s)"

log "2/3 pg_dump | psql"
create_target bench_psql
t0=$(now)
"$PGBIN/pg_dump" "${SRC[@]}" --no-owner --no-privileges bench \
  | "$PGBIN/psql" -X -q "${TGT[@]}" -d bench_psql -v ON_ERROR_STOP=1 >/dev/null
t1=$(now)
PSQL_TOTAL=$(elapsed "$t0" "$t1")
log "pg_dump | psql: ${PSQL_TOTAL}s"

log "3/3 pgcopydb clone"
create_target bench_pgcopydb
t0=$(now)
pgcopydb clone --no-owner --no-acl --dir "$STATE/pgcopydb" \
  --source "host=127.0.0.1 port=$LWO_PG_SOURCE_PORT user=$LWO_PG_SOURCE_USER dbname=bench" \
  --target "host=127.0.0.1 port=$LWO_PG_TARGET_PORT user=$LWO_PG_TARGET_USER dbname=bench_pgcopydb" \
  > "$STATE/pgcopydb.log" 2>&1 || { tail -30 "$STATE/pgcopydb.log" >&2; exit 1; }
t1=$(now)
PGCOPYDB_TOTAL=$(elapsed "$t0" "$t1")
log "pgcopydb clone: ${PGCOPYDB_TOTAL}s"

LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mkdir -p "$(dirname "$OUT")"
cat > "$OUT" <<MD
# Database migration benchmark

Produced by \`make bench-migration\` (\`scripts/bench_migration.sh\`) on $(date -u +%Y-%m-%d) — measured, not estimated.

- Machine: $(nproc) CPU core(s), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM; PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') source and target on the same host (local stack, fsync off on both); pgcopydb $(pgcopydb --version 2>/dev/null | awk '/pgcopydb version/ {print $3}').
- Load average (1/5/15 min) before the three runs: $LOAD_BEFORE; after: $LOAD_AFTER. Other work on the host shares the cores, so compare the ratios of one run, not absolute times across runs.
- Dataset: pgbench scale $SCALE plus secondary indexes on \`pgbench_accounts\` and a jsonb table of $JSON_ROWS rows with a GIN index: **$((SIZE_BYTES / 1048576)) MiB** (\`pg_database_size\`).
- The role: \`ansible-playbook playbooks/migrate_database.yml\` with defaults (dump format ${BENCH_ROLE_DUMP_FORMAT:-custom}, jobs = cores), as the non-superuser target login; its wall time includes Ansible itself, preflight, the backup with its checksum, roles, restore and the independent verification.
- \`pg_dump | psql\` and \`pgcopydb clone\` ran with \`--no-owner\` and \`--no-privileges\`/\`--no-acl\` (they cannot map superuser ownership for a non-superuser target); pgcopydb with its default table and index jobs.

| Method | Wall time (s) | vs pgcopydb clone |
| --- | ---: | ---: |
| db_migration role, copy phase (everything but verification) | $ROLE_COPY | $(ratio "$ROLE_COPY" "$PGCOPYDB_TOTAL")× |
| db_migration role, copy + verification (whole playbook) | $ROLE_TOTAL | $(ratio "$ROLE_TOTAL" "$PGCOPYDB_TOTAL")× |
| \`pg_dump \| psql\` | $PSQL_TOTAL | $(ratio "$PSQL_TOTAL" "$PGCOPYDB_TOTAL")× |
| \`pgcopydb clone\` | $PGCOPYDB_TOTAL | 1.00× |

Role steps (engine timings): backup ${ROLE_BACKUP}s, restore ${ROLE_RESTORE}s, verification ${ROLE_VERIFY}s.
End to end the role took $(ratio "$ROLE_TOTAL" "$PSQL_TOTAL")× the time of \`pg_dump | psql\` (which copies neither ownership nor grants, keeps no backup and verifies nothing).

Targets from issue 6: copy phase no slower than pgcopydb's clone (ratio ≤ 1.00); copy plus verification within
1.3× of pgcopydb's clone.
MD
log "wrote $OUT"
cat "$OUT"
