"""The validation gate: every table of a shard or run through its Great Expectations suite before it is published.

Each suite module in this package supplies `TABLE`, `expectations()` and `prepare(frame)`; the gate adds the
checks that follow from the schema declared in `newsflow.schema` (column list and order, non-null columns).
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from dataclasses import dataclass, field
from functools import cached_property

import pyarrow as pa

from expectations import articles, entities, events, mentions, quarantine, quotes, runs
from newsflow.schema import TABLES

SUITES = {m.TABLE: m for m in (articles, mentions, entities, quotes, events, quarantine, runs)}


@dataclass
class Failure:
    table: str
    expectation: str
    column: str | None
    unexpected_count: int | None
    examples: list

    def __str__(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        count = f": {self.unexpected_count} unexpected" if self.unexpected_count is not None else ""
        sample = f", e.g. {self.examples[:3]}" if self.examples else ""
        return f"{where} {self.expectation}{count}{sample}"


@dataclass
class GateReport:
    success: bool = True
    failures: list[Failure] = field(default_factory=list)
    results: dict = field(default_factory=dict)  # table -> GX validation result (JSON-able)
    rows_checked: dict = field(default_factory=dict)

    def merge(self, other: "GateReport", label: str) -> None:
        self.success = self.success and other.success
        self.failures.extend(other.failures)
        for table, result in other.results.items():
            self.results.setdefault(table, []).append({"batch": label, **result})
        for table, n in other.rows_checked.items():
            self.rows_checked[table] = self.rows_checked.get(table, 0) + n

    def to_json(self) -> str:
        return json.dumps(
            {"success": self.success, "failures": [str(f) for f in self.failures], "rows_checked": self.rows_checked, "results": self.results},
            indent=1,
            default=str,
        )


def schema_expectations(schema: pa.Schema, derived: list[str]) -> list:
    """Checks that follow from the declared schema; `derived` are the columns a suite's `prepare` appends."""
    import great_expectations as gx

    e = gx.expectations
    checks = [e.ExpectTableColumnsToMatchOrderedList(column_list=list(schema.names) + list(derived))]
    checks += [e.ExpectColumnValuesToNotBeNull(column=f.name) for f in schema if not f.nullable and not pa.types.is_list(f.type)]
    return checks


class Gate:
    """One ephemeral GX context per process, with a suite, validation definition and checkpoint per table."""

    def __init__(self, tables: list[str] | None = None):
        self.tables = tables or list(SUITES)

    @cached_property
    def _checkpoints(self) -> dict:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
        logging.getLogger("great_expectations").setLevel(logging.ERROR)
        warnings.filterwarnings("ignore", module="great_expectations")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        for name in ("great_expectations", "great_expectations.data_context.types.base"):
            logging.getLogger(name).setLevel(logging.ERROR)  # GX sets INFO on some of its loggers at import
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        source = context.data_sources.add_pandas("newsflow")
        checkpoints = {}
        for table in self.tables:
            module = SUITES[table]
            batch = source.add_dataframe_asset(name=table).add_batch_definition_whole_dataframe(f"{table}_frame")
            suite = context.suites.add(gx.ExpectationSuite(name=table))
            for expectation in schema_expectations(TABLES[table], getattr(module, "DERIVED", [])) + module.expectations():
                suite.add_expectation(expectation)
            definition = context.validation_definitions.add(gx.ValidationDefinition(name=table, data=batch, suite=suite))
            checkpoints[table] = context.checkpoints.add(
                gx.Checkpoint(name=f"{table}_gate", validation_definitions=[definition], result_format={"result_format": "SUMMARY"})
            )
        return checkpoints

    def validate(self, tables: dict[str, pa.Table], parameters: dict | None = None, context: dict | None = None) -> GateReport:
        """Validate each table (cast to its schema already); `parameters` fill the suites' $PARAMETER values and
        `context` carries what cross-table checks need (e.g. the articles whose text mention offsets point into)."""
        report = GateReport()
        for table, data in tables.items():
            frame = data.to_pandas()
            module = SUITES[table]
            frame = module.prepare(frame, context or {})
            checkpoint = self._checkpoints[table]
            run = checkpoint.run(batch_parameters={"dataframe": frame}, expectation_parameters=parameters or {})
            report.rows_checked[table] = len(frame)
            report.success = report.success and bool(run.success)
            for result in run.run_results.values():
                report.results[table] = result.describe_dict()
                for r in result.results:
                    if not r.success:
                        cfg = r.expectation_config
                        res = r.result or {}
                        report.failures.append(
                            Failure(table, cfg.type, cfg.kwargs.get("column"), res.get("unexpected_count"), list(res.get("partial_unexpected_list") or []))
                        )
        return report
