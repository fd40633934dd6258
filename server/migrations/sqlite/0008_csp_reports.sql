-- What browsers reported the Content-Security-Policy blocked: kept apart
-- from the event log (anyone can post a report), one row per distinct
-- report with how often and when it was last seen, the newest 1,000 kept.
CREATE TABLE csp_reports (
    directive  TEXT    NOT NULL,
    blocked    TEXT    NOT NULL,
    document   TEXT    NOT NULL,
    source     TEXT    NOT NULL,
    count      INTEGER  NOT NULL,
    first_at   INTEGER  NOT NULL,
    last_at    INTEGER  NOT NULL,
    PRIMARY KEY (directive, blocked, document)
);
CREATE INDEX csp_reports_last ON csp_reports (last_at);
