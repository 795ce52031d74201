"""Score contributions kept per lead and run date, as one JSON list in lead_scores.contributions,
in place of one score_contributions row per lead, rule and run date (a tenth of the rows a night
writes). An open re-run chain's saved rows are converted the same way.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# Each lead's rows as [kind, rule, raw_points, decay_factor, decayed_value, points] lists, by dialect.
_LISTS = {
    "sqlite": "json_group_array(json_array(c.kind, c.rule, c.raw_points, c.decay_factor, c.decayed_value, c.points))",
    "postgresql": "json_agg(json_build_array(c.kind, c.rule, c.raw_points, c.decay_factor, c.decayed_value, "
                  "c.points))::text",
}
_ROWS = {
    "sqlite": "SELECT s.run_date, s.lead_id, json_extract(e.value, '$[0]'), json_extract(e.value, '$[1]'), "
              "json_extract(e.value, '$[2]'), json_extract(e.value, '$[3]'), json_extract(e.value, '$[4]'), "
              "json_extract(e.value, '$[5]') FROM {scores} AS s, json_each(s.contributions) AS e",
    "postgresql": "SELECT s.run_date, s.lead_id, e.value->>0, e.value->>1, (e.value->>2)::double precision, "
                  "(e.value->>3)::double precision, (e.value->>4)::double precision, (e.value->>5)::double precision "
                  "FROM {scores} AS s, json_array_elements(s.contributions::json) AS e",
}
_TABLE = """
    CREATE TABLE IF NOT EXISTS {table} (
        run_date        DATE NOT NULL,
        lead_id         TEXT NOT NULL,
        kind            TEXT NOT NULL,
        rule            TEXT NOT NULL,
        raw_points      DOUBLE PRECISION NOT NULL,
        decay_factor    DOUBLE PRECISION NOT NULL,
        decayed_value   DOUBLE PRECISION NOT NULL,
        points          DOUBLE PRECISION NOT NULL
        {key}
    )"""


def _exists(table: str) -> bool:
    from sqlalchemy import inspect

    return inspect(op.get_bind()).has_table(table)


def upgrade() -> None:
    lists = _LISTS[op.get_bind().dialect.name]
    for scores, contributions in (("lead_scores", "score_contributions"),
                                  ("saved_lead_scores", "saved_score_contributions")):
        if not _exists(scores):
            continue
        # The same column as sql/schema/20_lead_scores.sql holds today (last, as chains copy rows whole).
        # Table names come from the fixed pairs above, never from data.
        op.execute("ALTER TABLE " + scores + " ADD COLUMN contributions TEXT")
        if _exists(contributions):
            op.execute("UPDATE " + scores + " SET contributions = (SELECT " + lists + " FROM " + contributions
                       + " AS c WHERE c.lead_id = " + scores + ".lead_id AND c.run_date = " + scores + ".run_date)")
        op.execute("UPDATE " + scores + " SET contributions = '[]' WHERE contributions IS NULL")
    for contributions in ("score_contributions", "saved_score_contributions"):
        if _exists(contributions):
            op.drop_table(contributions)


def downgrade() -> None:
    rows = _ROWS[op.get_bind().dialect.name]
    for scores, contributions, key in (
            ("lead_scores", "score_contributions", ", PRIMARY KEY (lead_id, run_date, rule)"),
            ("saved_lead_scores", "saved_score_contributions", "")):
        if not _exists(scores):
            continue
        op.execute(_TABLE.format(table=contributions, key=key))
        op.execute("INSERT INTO " + contributions + " (run_date, lead_id, kind, rule, raw_points, decay_factor, "
                   "decayed_value, points) " + rows.format(scores=scores))
        op.drop_column(scores, "contributions")
    op.execute("CREATE INDEX IF NOT EXISTS score_contributions_run_date ON score_contributions (run_date)")
