"""Configuration: sensible defaults, and one clear line for every mistake."""

import os
import subprocess
import sys

import pytest

from bot.config import SLACK_API_DEFAULT, load_settings
from bot.errors import ConfigError
from tests.support.harness import ROOT, run_cache


def test_defaults_need_nothing_set():
    settings = load_settings({})
    assert settings.port == 3000
    assert settings.timezone == "America/New_York"
    assert settings.slack_api_url == SLACK_API_DEFAULT
    assert not settings.socket_mode
    assert settings.connections_per_minute == 50


def test_a_printed_settings_shows_no_secret():
    secrets = {
        "SLACK_BOT_TOKEN": "xoxb-bot-token-value",
        "SLACK_SIGNING_SECRET": "signing-secret-value",
        "SLACK_APP_TOKEN": "xapp-app-token-value",
        "HEALTHZ_TOKEN": "h" * 32,
        "SHAREOUT_HASH_SECRET": "s" * 32,
    }
    printed = repr(load_settings(secrets))
    assert not [name for name, value in secrets.items() if value in printed]


def test_values_are_read_and_tidied():
    settings = load_settings(
        {
            "PORT": "8080",
            "SLACK_API_URL": "http://127.0.0.1:9000/api",
            "COORDINATOR_IDS": "U012ABC, W0XYZ99 ,",
            "LOG_LEVEL": "debug",
            "SLACK_APP_TOKEN": "xapp-1",
        }
    )
    assert settings.port == 8080
    assert settings.slack_api_url == "http://127.0.0.1:9000/api/"  # WebClient needs the slash
    assert settings.coordinator_ids == {"U012ABC", "W0XYZ99"}
    assert settings.log_level == "DEBUG"
    assert settings.socket_mode
    assert load_settings({}).socket_ping_seconds == 5
    assert load_settings({"SOCKET_MODE_PING_SECONDS": "2.5"}).socket_ping_seconds == 2.5


@pytest.mark.parametrize(
    "environ, names",
    [
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"HEART_TIMEZONE": "Boston"}, "HEART_TIMEZONE"),
        ({"COORDINATOR_IDS": "alice,U012ABC"}, "COORDINATOR_IDS"),
        ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"CONNECTIONS_PER_MINUTE": "fast"}, "CONNECTIONS_PER_MINUTE"),
        ({"CONNECTIONS_PER_MINUTE": "0"}, "CONNECTIONS_PER_MINUTE"),
        ({"SOCKET_MODE_PING_SECONDS": "0.5"}, "SOCKET_MODE_PING_SECONDS"),
        ({"SOCKET_MODE_PING_SECONDS": "often"}, "SOCKET_MODE_PING_SECONDS"),
    ],
)
def test_a_malformed_value_names_the_variable(environ, names):
    with pytest.raises(ConfigError) as error:
        load_settings(environ)
    message = str(error.value)
    assert message.startswith(names)
    assert "\n" not in message


def test_serving_without_tokens_says_what_to_do(tmp_path):
    for environ, expected in (
        ({}, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is not set"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "nope"}, "SLACK_APP_TOKEN must be an app-level token"),
    ):
        with pytest.raises(ConfigError, match=expected):
            load_settings(environ).require_slack()


def run_bot(tmp_path, *args, **environ):
    # Empty values, not missing ones: a developer's own .env must not fill them in.
    blank = {"SLACK_BOT_TOKEN": "", "SLACK_SIGNING_SECRET": "", "SLACK_APP_TOKEN": "", "SHAREOUT_HASH_SECRET": ""}
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "DATABASE_PATH": str(tmp_path / "h.db"), **blank, **run_cache(), **environ}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, capture_output=True, text=True, env=env, timeout=60)


def test_serve_refuses_to_start_without_configuration_and_without_a_traceback(tmp_path):
    result = run_bot(tmp_path, "serve")
    assert result.returncode == 1
    # Every missing setting at once, one line each, so one edit of .env fixes them all.
    assert result.stderr.strip().splitlines() == [
        "Error: SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-...) from your Slack app's "
        "OAuth & Permissions page into .env",
        "SLACK_SIGNING_SECRET is not set: copy the Signing Secret from your Slack app's Basic Information page into .env "
        "(or set SLACK_APP_TOKEN for Socket Mode)",
        "SHAREOUT_HASH_SECRET is not set: anonymous share-outs need a secret key of at least 32 characters; generate one "
        "with `python -c 'import secrets; print(secrets.token_urlsafe(32))'` and keep it out of the database",
    ]


def test_serve_refuses_invalid_content_with_the_check_message(tmp_path):
    broken = tmp_path / "content"
    (broken / "glossary").mkdir(parents=True)
    (broken / "glossary" / "categories.yml").write_text("- id: x\n")
    tokens = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SHAREOUT_HASH_SECRET": "k" * 32}
    result = run_bot(tmp_path, "serve", CONTENT_DIR=str(broken), **tokens)
    assert result.returncode == 1
    assert "glossary/categories.yml: must be a list of items with an id and a name" in result.stderr
    assert "Traceback" not in result.stderr
