#!/usr/bin/env bash
# Benchmark of the db_migration role against `pgcopydb clone` on the goal's dataset (pgbench scale 40 plus two
# secondary indexes and a 500 000-row jsonb table with a GIN index), in the same run, on a private pair of
# local-stack PostgreSQL servers: wall time, CPU seconds (client processes + source server + target server) and
# the load average around each run. Writes the figures to docs/benchmarks.md (or $BENCH_OUT).
#
#   make bench-migration            (or: scripts/bench_migration.sh)
# Settings: BENCH_SCALE (40), BENCH_JSON_ROWS (500000), BENCH_SOURCE_PORT/BENCH_TARGET_PORT (55452/55453),
# BENCH_PSQL=1 to time `pg_dump | psql` once at the end too.
# The role and pgcopydb run twice each, alternately (A-B-B-A). Every "## " section of the output file after
# "## Latest run" is kept.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
SCALE="${BENCH_SCALE:-40}"
JSON_ROWS="${BENCH_JSON_ROWS:-500000}"
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

# CPU seconds of a server: the postmaster and its live children (utime + stime), plus what the postmaster reaped
# from exited children (cutime + cstime: every backend of a finished run). The difference over a run is that run's
# server CPU, whatever else the server did meanwhile (nothing: these servers are private to the benchmark).
TICKS="$(getconf CLK_TCK)"
server_cpu() {  # $1: source or target
  local pid; pid="$(head -1 "$STATE/pg-$1/postmaster.pid")"
  { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pid/stat"
    for child in $(cat "/proc/$pid/task/$pid/children"); do awk '{ print $14 + $15 }' "/proc/$child/stat" 2>/dev/null; done
  } | awk -v t="$TICKS" '{ s += $1 } END { printf "%.1f", s / t }'
}
diff_cpu() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
# Runs "$@" and records its client CPU (the command and every child it waited for) in $CLIENT_CPU and the servers'
# CPU over the same time in $SOURCE_CPU / $TARGET_CPU.
measured() {
  local s0 t0 s1 t1 rc=0
  s0=$(server_cpu source); t0=$(server_cpu target)
  /usr/bin/time -f "%U %S" -o "$STATE/time.out" "$@" || rc=$?
  s1=$(server_cpu source); t1=$(server_cpu target)
  CLIENT_CPU=$(awk 'END { printf "%.1f", $1 + $2 }' "$STATE/time.out")
  SOURCE_CPU=$(diff_cpu "$s0" "$s1"); TARGET_CPU=$(diff_cpu "$t0" "$t1")
  return "$rc"
}

create_target() { "$PGBIN/psql" -X -q "${TGT[@]}" -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# The host is shared (other test runs use the same cores), so the role and pgcopydb alternate in an A-B-B-A order:
# a load that rises or falls steadily over the run weighs on both alike. The ratios use the sums of both runs.
run_role() {  # $1: run number
  local db="bench_role$1" work="$STATE/role-work$1" t0 t1
  create_target "$db"
  t0=$(now)
  measured env ANSIBLE_CONFIG="$ROOT/ansible.cfg" "$ROOT/.venv/bin/ansible-playbook" -i inventories/local playbooks/migrate_database.yml \
    -e db_migration_source_database=bench -e "db_migration_target_database=$db" \
    -e "db_migration_work_dir=$work" -e "db_migration_backup_dir=$STATE/role-backup$1" \
    -e "db_migration_report_dir=$STATE/role-report$1" \
    -e "db_migration_dump_format=${BENCH_ROLE_DUMP_FORMAT:-stream}" > "$STATE/role$1.log" 2>&1 \
    || { tail -40 "$STATE/role$1.log" >&2; exit 1; }
  t1=$(now)
  ROLE_CPU[$1]="$CLIENT_CPU $SOURCE_CPU $TARGET_CPU"
  # Engine timings: the copy step (backup alongside), its phases, and the verification.
  read -r copy backup verify engine_cpu early phases < <("$PY" - "$work" <<'PY'
import json, sys, pathlib
work = pathlib.Path(sys.argv[1])
copy = json.loads((work / "result-copy.json").read_text())
verify = json.loads((work / "result-verify.json").read_text())
migrate = json.loads((work / "result-migrate.json").read_text())
phases = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in copy["restore"]["phases"].items())
early = sum(1 for k in copy["restore"]["table_seconds"] if k.startswith("verify "))
print(copy["seconds"], copy["backup"]["seconds"], verify["seconds"], migrate.get("engine_cpu_seconds", "?"),
      early, phases.replace(" ", "_"))
PY
)
  ROLE_ENGINE_CPU[$1]=$engine_cpu
  ROLE_TOTAL[$1]=$(elapsed "$t0" "$t1")
  ROLE_VERIFY[$1]=$verify
  ROLE_COPY[$1]=$(awk -v a="${ROLE_TOTAL[$1]}" -v v="$verify" 'BEGIN { printf "%.1f", a - v }')
  ROLE_DETAIL[$1]="engine copy step ${copy}s (restore phases: ${phases//_/ } s; backup ${backup}s alongside; ${early} tables checksummed on both ends inside the copy step), rest of the verification ${verify}s, Ansible + preflight $(awk -v a="${ROLE_TOTAL[$1]}" -v c="$copy" -v v="$verify" 'BEGIN { printf "%.1f", a - c - v }')s; engine client CPU ${engine_cpu}s"
  log "role run $1: total ${ROLE_TOTAL[$1]}s, copy phase ${ROLE_COPY[$1]}s; ${ROLE_DETAIL[$1]}"
}
run_pgcopydb() {  # $1: run number
  local db="bench_pgcopydb$1" t0 t1
  create_target "$db"
  t0=$(now)
  measured pgcopydb clone --no-owner --no-acl --dir "$STATE/pgcopydb$1" \
    --source "host=127.0.0.1 port=$LWO_PG_SOURCE_PORT user=$LWO_PG_SOURCE_USER dbname=bench" \
    --target "host=127.0.0.1 port=$LWO_PG_TARGET_PORT user=$LWO_PG_TARGET_USER dbname=$db" \
    > "$STATE/pgcopydb$1.log" 2>&1 || { tail -30 "$STATE/pgcopydb$1.log" >&2; exit 1; }
  t1=$(now)
  PGCOPYDB_CPU[$1]="$CLIENT_CPU $SOURCE_CPU $TARGET_CPU"
  PGCOPYDB[$1]=$(elapsed "$t0" "$t1")
  log "pgcopydb clone run $1: ${PGCOPYDB[$1]}s"
}
declare -A ROLE_TOTAL ROLE_VERIFY ROLE_COPY ROLE_DETAIL PGCOPYDB LOADS ROLE_CPU PGCOPYDB_CPU ROLE_ENGINE_CPU

LOADS[0]="$(cut -d' ' -f1-3 /proc/loadavg)"
log "A: the db_migration role (ansible-playbook playbooks/migrate_database.yml), run 1"
run_role 1
LOADS[1]="$(cut -d' ' -f1-3 /proc/loadavg)"
log "B: pgcopydb clone, run 1"
run_pgcopydb 1
LOADS[2]="$(cut -d' ' -f1-3 /proc/loadavg)"
log "B: pgcopydb clone, run 2"
run_pgcopydb 2
LOADS[3]="$(cut -d' ' -f1-3 /proc/loadavg)"
log "A: the db_migration role, run 2"
run_role 2
LOADS[4]="$(cut -d' ' -f1-3 /proc/loadavg)"

PSQL_TOTAL="not run (BENCH_PSQL=1 runs it)"
if [ "${BENCH_PSQL:-0}" = 1 ]; then
  log "pg_dump | psql"
  create_target bench_psql
  t0=$(now)
  "$PGBIN/pg_dump" "${SRC[@]}" --no-owner --no-privileges bench \
    | "$PGBIN/psql" -X -q "${TGT[@]}" -d bench_psql -v ON_ERROR_STOP=1 >/dev/null
  t1=$(now)
  PSQL_TOTAL="$(elapsed "$t0" "$t1") s"
  log "pg_dump | psql: ${PSQL_TOTAL}"
fi

sum() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a + b }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
cpu_total() { awk '{ printf "%.1f", $1 + $2 + $3 }' <<<"$1"; }
cpu_cells() { awk '{ printf "%s | %s | %s | %.1f", $1, $2, $3, $1 + $2 + $3 }' <<<"$1"; }
COPY_SUM=$(sum "${ROLE_COPY[1]}" "${ROLE_COPY[2]}")
TOTAL_SUM=$(sum "${ROLE_TOTAL[1]}" "${ROLE_TOTAL[2]}")
PGCOPYDB_SUM=$(sum "${PGCOPYDB[1]}" "${PGCOPYDB[2]}")
COPY_RATIO=$(ratio "$COPY_SUM" "$PGCOPYDB_SUM")
TOTAL_RATIO=$(ratio "$TOTAL_SUM" "$PGCOPYDB_SUM")
ROLE_CPU_SUM=$(sum "$(cpu_total "${ROLE_CPU[1]}")" "$(cpu_total "${ROLE_CPU[2]}")")
PGCOPYDB_CPU_SUM=$(sum "$(cpu_total "${PGCOPYDB_CPU[1]}")" "$(cpu_total "${PGCOPYDB_CPU[2]}")")
# The engine's CPU (the engine and its client tools, without Ansible) plus both servers, against pgcopydb's.
engine_total() { awk -v e="$1" '{ printf "%.1f", e + $2 + $3 }' <<<"$2"; }
ENGINE_CPU_SUM=$(sum "$(engine_total "${ROLE_ENGINE_CPU[1]}" "${ROLE_CPU[1]}")" "$(engine_total "${ROLE_ENGINE_CPU[2]}" "${ROLE_CPU[2]}")")
VERDICT=$(awk -v t="$TOTAL_RATIO" -v e="$ENGINE_CPU_SUM" -v p="$PGCOPYDB_CPU_SUM" 'BEGIN {
  w = (t <= 1.10) ? "met" : "not met"; c = (e <= p) ? "met" : "not met";
  printf "Whole offline playbook ≤ 1.1× pgcopydb clone: **%s** (%.2f×). Engine CPU seconds (engine + its client tools + both servers) ≤ pgcopydb'"'"'s (pgcopydb + both servers): **%s** (%.1f s against %.1f s over both runs).", w, t, c, e, p }')
EARLIER=""
# Everything after the latest run's section (the sections written by hand, the earlier runs) is kept.
if [ -f "$OUT" ]; then EARLIER="$(awk '/^## / && !/^## Latest run/ { keep = 1 } keep' "$OUT")"; fi
mkdir -p "$(dirname "$OUT")"
cat > "$OUT" <<MD
# Database migration benchmark

## Latest run

Produced by \`make bench-migration\` (\`scripts/bench_migration.sh\`) on $(date -u '+%Y-%m-%d %H:%M UTC') — measured, not estimated.

- Machine: $(nproc) CPU core(s), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM; PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') source and target on the same host (local stack, fsync off on both); pgcopydb $(pgcopydb --version 2>/dev/null | awk '/pgcopydb version/ {print $3}').
- **Measured under load: the host is shared with other engineers' test runs; this is not an idle-machine run.** Load average (1/5/15 min) before role run 1: ${LOADS[0]}; before pgcopydb run 1: ${LOADS[1]}; before pgcopydb run 2: ${LOADS[2]}; before role run 2: ${LOADS[3]}; after: ${LOADS[4]}. The role and pgcopydb ran alternately (A-B-B-A) so that the shared load weighs on both alike; compare ratios within this run, and CPU seconds (which the load changes far less than wall time), not absolute times across runs.
- Dataset: pgbench scale $SCALE plus secondary indexes on \`pgbench_accounts\` and a jsonb table of $JSON_ROWS rows with a GIN index: **$((SIZE_BYTES / 1048576)) MiB** (\`pg_database_size\`).
- The role: \`ansible-playbook playbooks/migrate_database.yml\` with defaults (backup format ${BENCH_ROLE_DUMP_FORMAT:-stream}, jobs = cores), as the non-superuser target login: preflight, roles, schema, streamed data with per-table indexes, ANALYZE and verification, the backup (${BENCH_ROLE_DUMP_FORMAT:-stream}: with stream, the copied rows written as they pass with their sha256, plus the copy's schema archive; otherwise a \`pg_dump\` of the same snapshot written alongside) and the rest of the verification. **Copy phase** = the whole playbook's wall time minus the engine's final verification time. \`pgcopydb clone\` ran with \`--no-owner --no-acl\` (it cannot map superuser ownership for a non-superuser target) and its default table and index jobs; it keeps no backup and verifies nothing.
- CPU seconds: client = the command and every process it waited for (\`/usr/bin/time\`: Ansible, the engine, psql, pg_dump, pg_restore; or pgcopydb and its children); source / target = the server's postmaster and backends over the run (\`/proc\`, utime + stime, reaped children included).

| Method | Run 1 (s) | Run 2 (s) | Sum (s) | vs pgcopydb clone |
| --- | ---: | ---: | ---: | ---: |
| db_migration role, copy phase (backup included) | ${ROLE_COPY[1]} | ${ROLE_COPY[2]} | $COPY_SUM | ${COPY_RATIO}× |
| db_migration role, whole playbook (copy + backup + verification) | ${ROLE_TOTAL[1]} | ${ROLE_TOTAL[2]} | $TOTAL_SUM | ${TOTAL_RATIO}× |
| \`pgcopydb clone\` | ${PGCOPYDB[1]} | ${PGCOPYDB[2]} | $PGCOPYDB_SUM | 1.00× |

| CPU seconds | client | source server | target server | total |
| --- | ---: | ---: | ---: | ---: |
| role run 1 (client = Ansible + engine; engine alone ${ROLE_ENGINE_CPU[1]}) | $(cpu_cells "${ROLE_CPU[1]}") |
| role run 2 (client = Ansible + engine; engine alone ${ROLE_ENGINE_CPU[2]}) | $(cpu_cells "${ROLE_CPU[2]}") |
| pgcopydb run 1 | $(cpu_cells "${PGCOPYDB_CPU[1]}") |
| pgcopydb run 2 | $(cpu_cells "${PGCOPYDB_CPU[2]}") |

Sum over both runs: role $ROLE_CPU_SUM CPU s (of which engine + servers $ENGINE_CPU_SUM), pgcopydb $PGCOPYDB_CPU_SUM CPU s.
\`pg_dump | psql\`: $PSQL_TOTAL.

Per pair: role run 1 / pgcopydb run 1 — copy $(ratio "${ROLE_COPY[1]}" "${PGCOPYDB[1]}")×, whole playbook $(ratio "${ROLE_TOTAL[1]}" "${PGCOPYDB[1]}")×; role run 2 / pgcopydb run 2 — copy $(ratio "${ROLE_COPY[2]}" "${PGCOPYDB[2]}")×, whole playbook $(ratio "${ROLE_TOTAL[2]}" "${PGCOPYDB[2]}")×.

Role phases (engine timings):
- run 1: ${ROLE_DETAIL[1]}.
- run 2: ${ROLE_DETAIL[2]}.

Targets from issue 15: $VERDICT

$EARLIER
MD
log "wrote $OUT"
cat "$OUT"
