"""Reads every Parquet file `inferlab export` wrote with pyarrow and with DuckDB and compares each
with the run's SQLite tables: the same rows, columns and values, each column with its type.
Usage: check.py RESULTS.sqlite EXPORT_DIR EXPLAIN.json. Prints one JSON object; exits 1 on a mismatch."""
import json, math, sqlite3, sys
import duckdb
import pyarrow.parquet as pq

store, directory, explain_path = sys.argv[1:4]
db = sqlite3.connect(store)
problems, tables = [], {}

ARROW_TYPE = {"INTEGER": "int64", "REAL": "double", "DOUBLE": "double", "TEXT": "string", "BOOLEAN": "bool"}


def same(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        return float(a) == float(b) or (math.isnan(float(a)) and math.isnan(float(b)))
    if isinstance(a, bool) or isinstance(b, bool):
        return bool(a) == bool(b)
    return a == b


def check(name, order, where=""):
    path = f"{directory}/{name}.parquet"
    arrow = pq.read_table(path)
    duck = duckdb.sql(f"SELECT * FROM read_parquet('{path}')")
    declared = {row[1]: row[2].upper() for row in db.execute(f"PRAGMA table_info({name})")}
    sql_rows = db.execute(f"SELECT * FROM {name} {where} ORDER BY {order}").fetchall()
    sql_columns = [d[0] for d in db.execute(f"SELECT * FROM {name} LIMIT 0").description]
    if arrow.num_rows != len(sql_rows):
        problems.append(f"{name}: {arrow.num_rows} rows in Parquet, {len(sql_rows)} in SQLite")
    duck_rows = duck.fetchall()
    if len(duck_rows) != arrow.num_rows:
        problems.append(f"{name}: DuckDB read {len(duck_rows)} rows, pyarrow {arrow.num_rows}")
    columns = arrow.column_names
    for column in sql_columns:
        if column not in columns:
            problems.append(f"{name}: column {column} missing")
            continue
        want = ARROW_TYPE.get(declared[column])
        got = str(arrow.schema.field(column).type)
        if want and got != want:
            problems.append(f"{name}.{column}: type {got}, declared {declared[column]}")
        values = arrow.column(column).to_pylist()
        duck_values = [row[columns.index(column)] for row in duck_rows]
        for i, row in enumerate(sql_rows):
            expected = row[sql_columns.index(column)]
            if not same(values[i], expected) or not same(duck_values[i], expected):
                problems.append(f"{name}.{column} row {i}: {values[i]!r} / {duck_values[i]!r}, SQLite {expected!r}")
                break
    tables[name] = {"rows": arrow.num_rows, "columns": len(columns)}
    return arrow


check("trials", "idx")
check("engine_steps", "rowid")
check("constraint_outcomes", "rowid")
check("run_events", "rowid")
check("runs", "id")
check("events", "request_id, idx")
requests = check("requests", "id")
# Each request's trial, as the trials table maps bench runs to trials.
trial_of = dict(db.execute("SELECT bench_run_id, idx FROM trials WHERE bench_run_id IS NOT NULL"))
for run_id, trial in zip(requests.column("run_id").to_pylist(), requests.column("trial_idx").to_pylist()):
    if trial_of.get(run_id) != trial:
        problems.append(f"requests: run {run_id} has trial_idx {trial}, trials say {trial_of.get(run_id)}")
        break
# probe_samples: one column per catalogue metric in place of sample_json.
samples = pq.read_table(f"{directory}/probe_samples.parquet")
keys = db.execute("SELECT trial_idx, t_ns FROM probe_samples ORDER BY trial_idx, t_ns").fetchall()
if list(zip(samples.column("trial_idx").to_pylist(), samples.column("t_ns").to_pylist())) != keys:
    problems.append("probe_samples: (trial_idx, t_ns) differ from SQLite")
tables["probe_samples"] = {"rows": samples.num_rows, "columns": samples.num_columns}
# explanations: the same requests and milliseconds as `inferlab explain --json`.
explained = {r["id"]: r for r in json.load(open(explain_path))["requests"]}
rows = duckdb.sql(f"SELECT request_id, e2e_ms, top_cause FROM read_parquet('{directory}/explanations.parquet')").fetchall()
if {r[0] for r in rows} != set(explained):
    problems.append("explanations: request ids differ from inferlab explain's")
for request_id, e2e, top in rows:
    want = explained.get(request_id)
    if want and (abs(want["e2e_ms"] - e2e) > 1e-3 or want.get("top_cause") != top):
        problems.append(f"explanations: {request_id} {e2e} {top}, explain says {want['e2e_ms']} {want.get('top_cause')}")
        break
tables["explanations"] = {"rows": len(rows)}
ttft = duckdb.sql(
    f"SELECT trial_idx, count(*), median(ttft_ms) FROM read_parquet('{directory}/requests.parquet') GROUP BY 1 ORDER BY 1"
).fetchall()
print(json.dumps({"tables": tables, "ttft_by_trial": ttft, "problems": problems}))
sys.exit(1 if problems else 0)
