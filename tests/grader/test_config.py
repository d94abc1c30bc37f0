"""GraderConfig is the one definition of every grader option: the command line's flags, help
and defaults come from it, the sandbox policy's defaults too, and it crosses processes whole."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys

import pytest

from autograder.cli import config_from, main, option_parser
from autograder.config import DEFAULTS, GraderConfig
from autograder.grader.pool import Worker
from autograder.sandbox.isolation import Policy
from coursebuild.course import ROOT

FIELDS = dataclasses.fields(GraderConfig)


@pytest.fixture(scope="module")
def help_text() -> str:
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, env={"COLUMNS": "200", "PATH": ""})
    assert done.returncode == 0, done.stderr
    return done.stdout


def option_help(help_text: str, flag: str) -> str:
    """The help of one option: from its flag to the next option (argparse's layout)."""
    match = re.search(rf"^\s+{re.escape(flag)}\b(.*?)(?=^\s+--|\Z)", help_text, re.M | re.S)
    assert match, f"{flag} is not in the command line's help"
    return " ".join(match.group(1).split())


@pytest.mark.parametrize("item", FIELDS, ids=lambda f: f.name)
def test_the_cli_help_shows_each_fields_help_and_default(help_text, item):
    text = option_help(help_text, item.metadata["flag"])
    default = getattr(GraderConfig(), item.name)
    words = item.metadata["help"].replace("%(default)s", str(default)).split()
    assert " ".join(words) in text, (item.name, text)
    if default is not None and not isinstance(default, bool):
        assert f"{default})" in text, f"--help of {item.metadata['flag']} does not show the default {default}: {text}"


def test_the_help_has_no_option_that_the_config_lacks(help_text):
    flags = set(re.findall(r"^\s+(--[a-z][a-z-]*)", help_text, re.M)) - {"--help"}
    assert flags == {item.metadata["flag"] for item in FIELDS}


def test_parsing_no_arguments_gives_the_default_config():
    import argparse

    parser = option_parser(argparse.ArgumentParser())
    assert config_from(parser.parse_args([])) == GraderConfig()
    given = config_from(parser.parse_args(["--workers", "3", "--memory-mb", "512", "--submission-timeout", "700.5",
                                           "--force", "--gradebook", "sqlite:///x.db"]))
    assert given == GraderConfig(workers=3, memory_mb=512, submission_seconds=700.5, force=True,
                                 gradebook="sqlite:///x.db")


def test_bad_values_are_refused_with_the_option_named(capsys):
    with pytest.raises(SystemExit):
        main(["grade", "--workers", "0"])
    assert "workers must be positive" in capsys.readouterr().err
    with pytest.raises(ValueError, match="memory_mb must be a int"):
        GraderConfig(memory_mb="lots")
    with pytest.raises(ValueError, match="unknown grader settings: colour"):
        GraderConfig.from_json({"colour": "blue"})


def test_the_sandbox_policy_defaults_are_the_configs():
    policy = Policy()
    assert (policy.memory_bytes, policy.cpu_seconds, policy.max_processes, policy.uid) == (
        DEFAULTS.memory_bytes, DEFAULTS.cpu_seconds, DEFAULTS.max_processes, DEFAULTS.uid_base)
    assert DEFAULTS.cpu_seconds == int(DEFAULTS.submission_seconds) + 60


def test_the_config_crosses_to_workers_whole(tmp_path, monkeypatch):
    """The worker's command line holds the whole config as JSON (so every process forked from
    it shows which batch it belongs to), and it reads back equal."""
    config = GraderConfig(course=str(tmp_path), workers=1, submission_seconds=700.25, memory_mb=1000)
    assert GraderConfig.from_json(json.loads(json.dumps(config.to_json()))) == config
    started = []

    class Recording:
        def __init__(self, command, **kwargs):
            started.append(command)

    monkeypatch.setattr(subprocess, "Popen", Recording)
    Worker(3, config, log=None)
    settings = json.loads(started[0][-1])
    assert GraderConfig.from_json(settings["config"]) == config and settings["slot"] == 3
    assert '"submission_seconds": 700.25' in started[0][-1]


def test_the_autodiff_option_is_fail_or_warn_and_part_of_the_resume_key(capsys):
    """What a derived gradient computed with autodiff costs (see autograder.grader.derived):
    a stored result graded under one setting is not current under the other."""
    assert GraderConfig().autodiff == "fail"
    with pytest.raises(SystemExit):
        main(["grade", "--autodiff", "ignore"])
    assert "autodiff must be one of fail, warn, not 'ignore'" in capsys.readouterr().err
    assert GraderConfig(autodiff="warn").fingerprint() != GraderConfig().fingerprint()
