"""delta-rs side of the interop tests: read a Delta table as canonical JSON rows, or write one.

Canonical values (so both sides compare exactly): timestamps as integer microseconds since the
epoch (UTC), dates as yyyy-mm-dd, everything else as JSON scalars.

  read  <table> [version]                 -> {"version": v, "rows": [...], "protocol": [r, w]}
  write <table> <mode> <partition|-> <json-spec>   spec: {"columns": {name: type}, "rows": [...]}
  merge <table> <key> <json-spec>         upsert on key (update all when matched, insert otherwise)
  delete <table> <sql predicate>
  checkpoint <table>
"""
import datetime as dt
import json
import os
import sys

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
TYPES = {
    "string": pa.string(),
    "long": pa.int64(),
    "integer": pa.int32(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}


def canonical(value):
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return (value - EPOCH) // dt.timedelta(microseconds=1)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def to_arrow(spec):
    fields = [(name, TYPES[kind]) for name, kind in spec["columns"].items()]
    schema = pa.schema(fields)
    columns = {}
    for name, kind in spec["columns"].items():
        values = [row.get(name) for row in spec["rows"]]
        if kind == "timestamp":
            values = [None if v is None else EPOCH + dt.timedelta(microseconds=v) for v in values]
        if kind == "date":
            values = [None if v is None else dt.date.fromisoformat(v) for v in values]
        columns[name] = pa.array(values, type=TYPES[kind])
    return pa.table(columns, schema=schema)


def main(argv):
    command, path = argv[1], argv[2]
    if command == "read":
        table = DeltaTable(path, version=int(argv[3])) if len(argv) > 3 else DeltaTable(path)
        rows = [{k: canonical(v) for k, v in row.items()} for row in table.to_pyarrow_table().to_pylist()]
        protocol = table.protocol()
        out = {"version": table.version(), "rows": rows, "protocol": [protocol.min_reader_version, protocol.min_writer_version]}
        print(json.dumps(out))
    elif command == "write":
        mode, partition, spec = argv[3], argv[4], json.loads(argv[5])
        kwargs = {} if partition == "-" else {"partition_by": partition.split(",")}
        write_deltalake(path, to_arrow(spec), mode=mode, **kwargs)
    elif command == "merge":
        key, spec = argv[3], json.loads(argv[4])
        (
            DeltaTable(path)
            .merge(to_arrow(spec), predicate=f"t.{key} = s.{key}", source_alias="s", target_alias="t")
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute()
        )
    elif command == "delete":
        DeltaTable(path).delete(argv[3])
    elif command == "checkpoint":
        DeltaTable(path).create_checkpoint()
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv)
    # Skip interpreter teardown: under load, delta-rs/arrow native threads can abort the process
    # at exit ("terminate called without an active exception") after the work is done.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
