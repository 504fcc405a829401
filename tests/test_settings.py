"""NEWSFLOW_* settings: defaults, then the environment, then the command line; a bad value names its variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsflow.settings import Settings


def test_empty_environment_gives_the_defaults():
    assert Settings.from_env({}) == Settings()
    # an empty value means "not set", not "empty string"
    assert Settings.from_env({"NEWSFLOW_MODEL_NAME": "", "NEWSFLOW_SHARD_SIZE": ""}) == Settings()


def test_each_kind_of_value_is_parsed():
    s = Settings.from_env({
        "NEWSFLOW_RAW_DIR": "/in/raw",
        "NEWSFLOW_CURATED_DIR": "out",
        "NEWSFLOW_MODEL_NAME": "en_core_web_md",
        "NEWSFLOW_SHARD_SIZE": "250",
        "NEWSFLOW_WORKERS": "0",
        "NEWSFLOW_KEEP_VERSIONS": "3",
        "NEWSFLOW_DAY_FIRST": "Yes",
        "NEWSFLOW_EXTRACT": "off",
        "NEWSFLOW_PROGRESS": "0",
        "NEWSFLOW_EXCLUDE": " *.bak , notes* ,,",
        "NEWSFLOW_UNRELATED": "ignored",
        "OTHER_SHARD_SIZE": "7",
    })
    assert (s.raw_dir, s.curated_dir, s.model_name) == (Path("/in/raw"), Path("out"), "en_core_web_md")
    assert (s.shard_size, s.workers, s.keep_versions, s.batch_size) == (250, 0, 3, 64)
    assert (s.day_first, s.extract, s.progress) == (True, False, False)
    assert s.exclude == ("*.bak", "notes*")


@pytest.mark.parametrize("word,value", [("1", True), ("true", True), ("ON", True), ("no", False), ("False", False), (" off ", False)])
def test_booleans(word, value):
    assert Settings.from_env({"NEWSFLOW_DAY_FIRST": word}).day_first is value


@pytest.mark.parametrize(
    "variable,raw",
    [
        ("NEWSFLOW_SHARD_SIZE", "ten"),
        ("NEWSFLOW_SHARD_SIZE", "-1"),
        ("NEWSFLOW_SHARD_SIZE", "0"),  # range(0, n, 0) would crash the flow after it took the lock
        ("NEWSFLOW_BATCH_SIZE", "0"),
        ("NEWSFLOW_WORKERS", "2.5"),
        ("NEWSFLOW_KEEP_VERSIONS", "-3"),
        ("NEWSFLOW_DAY_FIRST", "maybe"),
        ("NEWSFLOW_EXTRACT", "2"),
    ],
)
def test_bad_value_raises_naming_the_variable_and_value(variable, raw):
    with pytest.raises(ValueError) as info:
        Settings.from_env({variable: raw})
    assert str(info.value).startswith(f"{variable}={raw!r}: ")


def test_command_line_overrides_environment_and_none_means_not_given():
    env = {"NEWSFLOW_SHARD_SIZE": "250", "NEWSFLOW_MODEL_NAME": "en_core_web_md", "NEWSFLOW_DAY_FIRST": "true"}
    s = Settings.from_env(env, shard_size=10, model_name=None, day_first=False)
    assert s.shard_size == 10  # the option wins
    assert s.model_name == "en_core_web_md"  # option not given (None): the environment stays
    assert s.day_first is False  # an explicit False is a value, not "not given"


def test_bad_environment_value_is_reported_even_when_the_option_overrides_it():
    # the environment is read before the overrides apply: a broken variable is never silently ignored
    with pytest.raises(ValueError, match="NEWSFLOW_SHARD_SIZE"):
        Settings.from_env({"NEWSFLOW_SHARD_SIZE": "many"}, shard_size=5)


def test_zero_is_allowed_where_it_means_something():
    s = Settings.from_env({"NEWSFLOW_WORKERS": "0", "NEWSFLOW_KEEP_VERSIONS": "0", "NEWSFLOW_SHARD_SIZE": "1", "NEWSFLOW_BATCH_SIZE": "1"})
    assert (s.workers, s.keep_versions, s.shard_size, s.batch_size) == (0, 0, 1, 1)


def test_cli_reports_a_bad_environment_value_with_exit_code_2(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from newsflow.cli import app

    monkeypatch.setenv("NEWSFLOW_SHARD_SIZE", "0")
    result = CliRunner().invoke(app, ["run", str(tmp_path), "--curated", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "NEWSFLOW_SHARD_SIZE='0': must be at least 1" in " ".join(result.output.split())
    assert not (tmp_path / "out").exists()  # nothing started


def test_reads_os_environ_by_default(monkeypatch):
    monkeypatch.setenv("NEWSFLOW_BATCH_SIZE", "16")
    assert Settings.from_env().batch_size == 16


def test_settings_survive_a_deployments_json_parameter():
    import json

    s = Settings(raw_dir=Path("/in/raw"), curated_dir=Path("out"), exclude=("*.bak",), workers=3, extract=False, task_runner="dask", dask_address="tcp://10.0.0.5:8786")
    stored = json.loads(json.dumps(s.to_json()))
    assert stored["raw_dir"] == "/in/raw" and stored["exclude"] == ["*.bak"]
    assert Settings.of(stored) == s and Settings.of(s) is s


def test_task_runner_must_be_known():
    assert Settings.from_env({"NEWSFLOW_TASK_RUNNER": "dask"}).task_runner == "dask"
    with pytest.raises(ValueError, match="NEWSFLOW_TASK_RUNNER='ray': expected one of default, dask"):
        Settings.from_env({"NEWSFLOW_TASK_RUNNER": "ray"})
    with pytest.raises(ValueError, match="expected one of default, dask"):
        Settings.from_env({}, task_runner="ray")
