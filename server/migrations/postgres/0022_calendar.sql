-- Business hours per team and weekday (0 = Monday): windows in minutes
-- after Hong Kong midnight; an end at or before the start runs past midnight.
CREATE TABLE team_hours (
    team_id    TEXT    NOT NULL REFERENCES teams (id),
    weekday    BIGINT  NOT NULL,
    start_min  BIGINT  NOT NULL,
    end_min    BIGINT  NOT NULL,
    PRIMARY KEY (team_id, weekday, start_min)
);

-- Hong Kong's general holidays (2026 and 2027 are filled in once, at the
-- first start), editable by admins. `date` is YYYY-MM-DD.
CREATE TABLE holidays (
    date     TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    name_zh  TEXT NOT NULL
);

-- A team's exception on a date: closed, or other hours (`windows`, JSON
-- ["HH:MM–HH:MM", …], empty when closed).
CREATE TABLE team_exceptions (
    team_id  TEXT NOT NULL REFERENCES teams (id),
    date     TEXT NOT NULL,
    closed   BOOLEAN NOT NULL,
    windows  TEXT NOT NULL,
    PRIMARY KEY (team_id, date)
);

-- Closures: typhoon signal 8 or above, black rainstorm, or another reason;
-- for some teams (`teams`, a JSON array) or all (NULL); until `ends_at`,
-- or until ended by hand.
CREATE TABLE closures (
    id          TEXT PRIMARY KEY,
    reason      TEXT NOT NULL,
    reason_text TEXT,
    teams       TEXT,
    reply_en    TEXT,
    reply_zh    TEXT,
    starts_at   BIGINT NOT NULL,
    ends_at     BIGINT,
    created_by  TEXT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX closures_ends_at ON closures (ends_at);
