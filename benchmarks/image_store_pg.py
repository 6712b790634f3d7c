"""PostgreSQL image storage for 10-MB pictures: ``bytea`` rows versus large objects.

    export DERMSTATION_TEST_POSTGRES_URL=$(scripts/postgres-for-tests.sh)
    .venv/bin/python benchmarks/image_store_pg.py --runs 5 --size-mb 10

Each run writes one incompressible picture (random bytes, as a JPEG is) and reads it back, whole and
in 1-MiB pieces (how the app streams it into the local cache), in a throw-away schema. Prints medians
in ms and the table size on disk per picture.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid

from sqlalchemy import create_engine, text

from dermstation.records.database import normalise_url

CHUNK = 1 << 20


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size-mb", type=float, default=10.0)
    args = parser.parse_args()
    url = normalise_url(os.environ["DERMSTATION_TEST_POSTGRES_URL"])
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(url.update_query_dict({"options": f"-csearch_path={schema}"}))
    size = int(args.size_mb * (1 << 20))
    results: dict[str, list[float]] = {k: [] for k in (
        "bytea write", "bytea read whole", "bytea read 1-MiB pieces",
        "large object write", "large object read whole", "large object read 1-MiB pieces")}
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        conn.execute(text("CREATE TABLE blobs (id int PRIMARY KEY, data bytea NOT NULL)"))
        # pictures do not compress: store them uncompressed out of line, as the app's table does
        conn.execute(text("ALTER TABLE blobs ALTER COLUMN data SET STORAGE EXTERNAL"))
        conn.execute(text("CREATE TABLE los (id int PRIMARY KEY, oid oid NOT NULL)"))
    try:
        for run in range(args.runs):
            data = os.urandom(size)
            t = time.perf_counter()
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO blobs VALUES (:i, :d)"), {"i": run, "d": data})
            results["bytea write"].append(_ms(t))
            t = time.perf_counter()
            with engine.connect() as conn:
                got = conn.execute(text("SELECT data FROM blobs WHERE id = :i"), {"i": run}).scalar_one()
            results["bytea read whole"].append(_ms(t))
            assert bytes(got) == data
            t = time.perf_counter()
            with engine.connect() as conn:
                pieces = [bytes(conn.execute(text("SELECT substring(data FROM :o FOR :n) FROM blobs WHERE id = :i"),
                                             {"o": off + 1, "n": CHUNK, "i": run}).scalar_one())
                          for off in range(0, size, CHUNK)]
            results["bytea read 1-MiB pieces"].append(_ms(t))
            assert b"".join(pieces) == data

            t = time.perf_counter()
            with engine.begin() as conn:
                oid = conn.execute(text("SELECT lo_from_bytea(0, :d)"), {"d": data}).scalar_one()
                conn.execute(text("INSERT INTO los VALUES (:i, :o)"), {"i": run, "o": oid})
            results["large object write"].append(_ms(t))
            t = time.perf_counter()
            with engine.connect() as conn:
                got = conn.execute(text("SELECT lo_get(:o)"), {"o": oid}).scalar_one()
            results["large object read whole"].append(_ms(t))
            assert bytes(got) == data
            t = time.perf_counter()
            with engine.connect() as conn:
                pieces = [bytes(conn.execute(text("SELECT lo_get(:o, :off, :n)"),
                                             {"o": oid, "off": off, "n": CHUNK}).scalar_one())
                          for off in range(0, size, CHUNK)]
            results["large object read 1-MiB pieces"].append(_ms(t))
            assert b"".join(pieces) == data
        with engine.connect() as conn:
            bytea_disk = conn.execute(text("SELECT pg_total_relation_size('blobs')")).scalar_one()
            lo_disk = conn.execute(text(
                "SELECT sum(pg_column_size(data)) FROM pg_largeobject "
                "WHERE loid IN (SELECT oid FROM los)")).scalar_one()
    finally:
        with engine.begin() as conn:
            conn.execute(text("SELECT lo_unlink(oid) FROM los"))
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
    print(f"{args.runs} runs, {size / (1 << 20):.1f} MiB random bytes each; medians in ms")
    for name, values in results.items():
        print(f"| {name} | {statistics.median(values):.0f} | {min(values):.0f}-{max(values):.0f} |")
    print(f"disk per picture: bytea {bytea_disk / args.runs / (1 << 20):.2f} MiB, "
          f"large object {int(lo_disk) / args.runs / (1 << 20):.2f} MiB")


if __name__ == "__main__":
    main()
