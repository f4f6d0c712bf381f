-- Test dataset for the migration: every kind of object a non-superuser RDS restore can get wrong.
-- Loaded into the source database `lifeworld` by the bootstrap superuser, on top of the local-stack seed.
\set ON_ERROR_STOP on
SET client_min_messages = warning;

CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE EXTENSION IF NOT EXISTS citext;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- Roles: an owner, a read-only group, a writer with inheritance off, and a superuser that must lose SUPERUSER.
CREATE ROLE app_owner NOLOGIN;
CREATE ROLE app_readonly NOLOGIN;
CREATE ROLE app_writer LOGIN NOINHERIT PASSWORD 'writer-secret' CONNECTION LIMIT 7 VALID UNTIL '2099-01-01';
CREATE ROLE reporting LOGIN PASSWORD 'reporting-secret' BYPASSRLS;
CREATE ROLE ops_admin LOGIN SUPERUSER REPLICATION PASSWORD 'ops-secret';
CREATE ROLE "Mixed Case Role" NOLOGIN;
GRANT app_readonly TO reporting;
GRANT app_readonly TO app_writer WITH ADMIN OPTION;
GRANT pg_read_all_stats TO reporting;
ALTER ROLE reporting SET work_mem = '16MB';
COMMENT ON ROLE app_owner IS 'owns the planner schemas';
GRANT CREATE ON DATABASE lifeworld TO app_owner;
GRANT CONNECT, TEMPORARY ON DATABASE lifeworld TO reporting;
ALTER DATABASE lifeworld SET statement_timeout = '45s';
ALTER ROLE app_writer IN DATABASE lifeworld SET search_path = planner, public;
COMMENT ON DATABASE lifeworld IS 'Life World OS — production data';

CREATE SCHEMA planner AUTHORIZATION app_owner;
CREATE SCHEMA analytics AUTHORIZATION app_owner;
CREATE SCHEMA audit;  -- owned by the superuser: goes to the target master
COMMENT ON SCHEMA planner IS 'goals, habits and plans';
GRANT USAGE ON SCHEMA planner, analytics TO app_readonly;
GRANT USAGE ON SCHEMA planner TO app_writer;
GRANT USAGE ON SCHEMA audit TO app_writer;

ALTER DEFAULT PRIVILEGES FOR ROLE app_owner IN SCHEMA planner GRANT SELECT ON TABLES TO app_readonly;
ALTER DEFAULT PRIVILEGES FOR ROLE app_owner IN SCHEMA planner GRANT SELECT, INSERT, UPDATE ON TABLES TO app_writer;
ALTER DEFAULT PRIVILEGES FOR ROLE app_owner GRANT USAGE ON SEQUENCES TO app_writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA audit GRANT SELECT ON TABLES TO reporting;  -- superuser's: mapped

SET ROLE app_owner;
SET search_path = planner, public;

CREATE TYPE planner.mood AS ENUM ('low', 'ok', 'great', 'ünïcödé');
CREATE DOMAIN planner.percent AS numeric(5, 2) CHECK (VALUE BETWEEN 0 AND 100);
CREATE TYPE planner.geo AS (lat double precision, lon double precision);
CREATE TYPE planner.span AS RANGE (subtype = timestamptz);

CREATE SEQUENCE planner.ticket_seq START 1000 INCREMENT 7 CACHE 1;
CREATE TABLE planner.habits (
    id integer GENERATED ALWAYS AS IDENTITY (START WITH 50) PRIMARY KEY,
    legacy_id serial,
    ticket bigint NOT NULL DEFAULT nextval('planner.ticket_seq'),
    owner_email citext NOT NULL,
    name text NOT NULL,
    tags text[] NOT NULL DEFAULT '{}',
    score planner.percent,
    mood planner.mood,
    place planner.geo,
    attrs jsonb,
    blob bytea,
    weight_kg numeric(6, 2),
    weight_lb numeric GENERATED ALWAYS AS (weight_kg * 2.20462) STORED,
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE planner.habits IS 'habit definitions';
COMMENT ON COLUMN planner.habits.weight_lb IS 'derived';
CREATE INDEX habits_name_trgm ON planner.habits USING gin (name gin_trgm_ops);
CREATE INDEX habits_attrs ON planner.habits USING gin (attrs jsonb_path_ops);

INSERT INTO planner.habits (owner_email, name, tags, score, mood, place, attrs, blob, weight_kg)
SELECT format('Person%s@Example.org', g),
       (ARRAY['Méditer', 'Run 5k', '読書', 'Drink water', 'Sleep 🛌'])[1 + g % 5] || ' ' || g,
       ARRAY['t' || (g % 3), 'x"y', NULL],
       (g % 100)::numeric,
       (ARRAY['low', 'ok', 'great', 'ünïcödé']::planner.mood[])[1 + g % 4],
       ROW(59.9 + g / 1e5, 10.7 + g / 1e5)::planner.geo,
       jsonb_build_object('streak', g % 30, 'nested', jsonb_build_object('a', ARRAY[g, g + 1]), 'f', g / 3.0),
       decode(md5(g::text), 'hex') || '\x00ff'::bytea,
       (g % 120) + 0.25
FROM generate_series(1, 5000) AS g;

-- Exclusion and deferrable constraints (btree_gist).
CREATE TABLE planner.bookings (
    id bigserial PRIMARY KEY,
    room int NOT NULL,
    during tstzrange NOT NULL,
    next_id bigint,
    EXCLUDE USING gist (room WITH =, during WITH &&),
    CONSTRAINT bookings_next_fk FOREIGN KEY (next_id) REFERENCES planner.bookings (id) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT bookings_room_unique_start UNIQUE (room, during) DEFERRABLE
);
INSERT INTO planner.bookings (room, during, next_id)
SELECT g % 10, tstzrange(timestamptz '2025-01-01' + g * interval '1 hour', timestamptz '2025-01-01' + g * interval '1 hour' + interval '30 minutes'),
       CASE WHEN g < 2000 THEN g + 1 END
FROM generate_series(1, 2000) AS g;
-- Carried by the primary key's own dump entry, which the copy replaces by CREATE UNIQUE INDEX + USING INDEX.
SET CONSTRAINTS ALL IMMEDIATE;  -- the deferred foreign key's checks first: ALTER TABLE refuses pending ones
ALTER TABLE planner.bookings CLUSTER ON bookings_pkey;

-- Partitioned table with a default partition.
CREATE TABLE planner.checkins (
    habit_id int NOT NULL,
    day date NOT NULL,
    note text,
    PRIMARY KEY (habit_id, day)
) PARTITION BY RANGE (day);
CREATE TABLE planner.checkins_2024 PARTITION OF planner.checkins FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE planner.checkins_2025 PARTITION OF planner.checkins FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE planner.checkins_other PARTITION OF planner.checkins DEFAULT;
INSERT INTO planner.checkins
SELECT 50 + g % 5000, date '2023-12-01' + (g / 5000), 'note ' || g FROM generate_series(0, 29999) AS g;

-- Functions and triggers.
CREATE FUNCTION planner.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.note := coalesce(NEW.note, '') || ' (touched)';
    RETURN NEW;
END $$;
CREATE TRIGGER checkins_touch BEFORE UPDATE ON planner.checkins FOR EACH ROW EXECUTE FUNCTION planner.touch();
CREATE FUNCTION planner.habit_count(owner text) RETURNS bigint LANGUAGE sql STABLE
    RETURN (SELECT count(*) FROM planner.habits WHERE owner_email = owner::citext);
CREATE PROCEDURE planner.noop() LANGUAGE sql AS $$ SELECT 1 $$;
REVOKE EXECUTE ON FUNCTION planner.habit_count(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION planner.habit_count(text) TO app_readonly;

-- Row-level security, forced for the owner too.
CREATE TABLE planner.journal (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    author text NOT NULL,
    body text NOT NULL,
    secret_hash text GENERATED ALWAYS AS (encode(digest(body, 'sha256'), 'hex')) STORED
);
INSERT INTO planner.journal (author, body)
SELECT (ARRAY['app_writer', 'reporting'])[1 + g % 2], repeat('entry ' || g || ' ', 1 + g % 7) FROM generate_series(1, 3000) g;
ALTER TABLE planner.journal ENABLE ROW LEVEL SECURITY;
ALTER TABLE planner.journal FORCE ROW LEVEL SECURITY;
CREATE POLICY journal_own ON planner.journal USING (author = current_user);
CREATE POLICY journal_insert ON planner.journal AS RESTRICTIVE FOR INSERT TO app_writer WITH CHECK (author = current_user);
GRANT SELECT, INSERT ON planner.journal TO app_writer, reporting;

-- Names that must be quoted everywhere (the copy's statements, the backup's data.sql, the follower): mixed case,
-- a space, reserved words, a double quote.
CREATE TABLE planner."Order Lines" ("select" int PRIMARY KEY, "Quote""d" text, "from" date);
INSERT INTO planner."Order Lines" SELECT g, 'line "' || g || '"', date '2025-01-01' + g FROM generate_series(1, 300) g;

-- Views, a materialized view, an unlogged table.
CREATE VIEW analytics.habit_moods AS SELECT mood, count(*) AS n FROM planner.habits GROUP BY mood;
CREATE MATERIALIZED VIEW analytics.daily_checkins AS
    SELECT day, count(*) AS n FROM planner.checkins GROUP BY day WITH DATA;
CREATE UNIQUE INDEX daily_checkins_day ON analytics.daily_checkins (day);
CREATE UNLOGGED TABLE analytics.cache (k text PRIMARY KEY, v jsonb);
INSERT INTO analytics.cache SELECT 'k' || g, to_jsonb(g) FROM generate_series(1, 500) g;
GRANT SELECT ON ALL TABLES IN SCHEMA analytics TO app_readonly;
GRANT SELECT (id, name) ON planner.habits TO "Mixed Case Role";

-- Sequence values moved past their start.
SELECT setval('planner.ticket_seq', 424242);
SELECT nextval('planner.bookings_id_seq');

-- Large objects with an owner and a grant.
SELECT lo_from_bytea(0, convert_to(repeat('large object ', 2000), 'UTF8'));
SELECT lo_from_bytea(0, '\xdeadbeef'::bytea);
RESET ROLE;
DO $$
DECLARE lo oid;
BEGIN
    FOR lo IN SELECT oid FROM pg_largeobject_metadata LOOP
        EXECUTE format('GRANT SELECT ON LARGE OBJECT %s TO app_readonly', lo);
    END LOOP;
END $$;
SELECT lo_from_bytea(0, 'owned by the superuser'::bytea);

-- Superuser-owned objects in the superuser-owned schema: they must end up owned by the target master.
CREATE TABLE audit.log (id bigserial PRIMARY KEY, at timestamptz DEFAULT now(), what text);
ALTER TABLE audit.log REPLICA IDENTITY USING INDEX log_pkey;
INSERT INTO audit.log (what) SELECT 'event ' || g FROM generate_series(1, 1000) g;
GRANT SELECT, INSERT ON audit.log TO app_writer;
CREATE FUNCTION audit.record(what text) RETURNS void LANGUAGE sql SECURITY DEFINER
    AS $$ INSERT INTO audit.log (what) VALUES (what) $$;
COMMENT ON FUNCTION audit.record(text) IS 'append to the audit log';
ALTER TABLE planner.habits OWNER TO app_owner;
ANALYZE;
