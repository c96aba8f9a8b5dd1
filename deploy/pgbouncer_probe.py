"""Do CivicID's hot statements survive a pgbouncer pool mode? They are run the way
``civicid.db.HotStatement`` runs them (psycopg 3, ``prepare=True``, a server-side prepared
statement), one transaction each, from several client connections taking turns.

    .venv/bin/python deploy/pgbouncer_probe.py "host=127.0.0.1 port=6432 dbname=civicid user=civicid"

With PgBouncer 1.18 (Debian 12), ``pool_mode = transaction``, 4 clients over 2 server connections:
6 of 200 executions failed (``DuplicatePreparedStatement: prepared statement "_pg3_0" already
exists``: the client's statement names meet another client's on a shared server connection).
``pool_mode = session`` (4 server connections): 200 of 200. Hence session pooling in
deploy/templates/pgbouncer.ini (deploy/README.md).
"""

from __future__ import annotations

import argparse
import json

import psycopg


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("conninfo", help="libpq connection string of the pgbouncer database")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--executions", type=int, default=200)
    args = parser.parse_args()
    conns = [psycopg.connect(args.conninfo) for _ in range(args.clients)]
    ok, errors = 0, {}
    try:
        for i in range(args.executions):
            conn = conns[i % len(conns)]
            try:
                with conn.transaction():
                    row = conn.execute("SELECT %s::int + 1", (i,), prepare=True).fetchone()
                ok += row == (i + 1,)
            except psycopg.Error as error:
                name = f"{type(error).__name__}: {str(error).splitlines()[0][:100]}"
                errors[name] = errors.get(name, 0) + 1
    finally:
        for conn in conns:
            conn.close()
    print(json.dumps({"executions": args.executions, "ok": ok, "errors": errors}, indent=2))
    return 0 if ok == args.executions else 1


if __name__ == "__main__":
    raise SystemExit(main())
