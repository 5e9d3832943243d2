"""manifest.yml asks Slack for exactly the scopes heart-bot uses (least privilege): each Web API
method the code calls needs its scope in the manifest, and a scope no call needs fails too.

The methods are found in the source, not listed by hand: every call of a ``WebClient`` method in
bot/ and handlers/, followed through slack_sdk to the Web API methods it calls (``files_upload_v2``
is ``files.getUploadURLExternal`` and ``files.completeUploadExternal``)."""

from __future__ import annotations

import ast
import functools
import inspect
import re
import textwrap

import yaml
from slack_sdk import WebClient

from tests.support.harness import ROOT

MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())
SCOPES = set(MANIFEST["oauth_config"]["scopes"]["bot"])
SOURCES = sorted([*(ROOT / "bot").rglob("*.py"), *(ROOT / "handlers").rglob("*.py")])

# The bot-token scopes each Web API method needs, as its page at docs.slack.dev/reference/methods/
# says (None: none). conversations.open takes any of im:write, mpim:write, channels:manage or
# groups:write; heart-bot opens one-to-one DMs (im:write) and, for monthly connections, group DMs
# of two or three members (mpim:write). conversations.history needs the scope of the conversation
# it reads: heart-bot reads a series' channel (public or private) and its own DMs with members,
# looking for a reminder whose answer was lost; never group DMs (mpim:history). A method missing
# here fails test_every_method_called_is_known: look its scope up and add it.
SCOPE_OF: dict[str, str | tuple[str, ...] | None] = {
    "auth.test": None,
    "chat.delete": "chat:write",
    "chat.deleteScheduledMessage": "chat:write",
    "chat.scheduleMessage": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "conversations.history": ("channels:history", "groups:history", "im:history"),
    "conversations.open": ("im:write", "mpim:write"),
    "files.completeUploadExternal": "files:write",
    "files.getUploadURLExternal": "files:write",
    "usergroups.users.list": "usergroups:read",
    "users.info": "users:read",
    "users.list": "users:read",
    "views.open": None,
    "views.publish": None,
    "views.push": None,
    "views.update": None,
}
# Calls Bolt makes itself: auth.test when the app starts, to learn the bot's own id.
BOLT_CALLS = {"auth.test"}
CLIENT_METHODS = {name for name, _ in inspect.getmembers(WebClient, inspect.isfunction) if not name.startswith("_")}


@functools.cache
def api_methods_of(client_method: str) -> frozenset[str]:
    """The Web API methods one ``WebClient`` method calls, read from slack_sdk's source."""
    source = textwrap.dedent(inspect.getsource(getattr(WebClient, client_method)))
    found = set(re.findall(r"api_call\(\s*\"([a-zA-Z.]+)\"", source))
    for other in set(re.findall(r"self\.([a-zA-Z_0-9]+)\(", source)) & CLIENT_METHODS - {client_method, "api_call"}:
        found |= api_methods_of(other)
    return frozenset(found)


def called_client_methods() -> dict[str, list[str]]:
    """Each ``WebClient`` method called anywhere in bot/ and handlers/, with the files calling it."""
    calls: dict[str, list[str]] = {}
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            name = node.func.attr
            if name == "api_call" and node.args and isinstance(node.args[0], ast.Constant):
                calls.setdefault(f"api_call:{node.args[0].value}", []).append(str(path.relative_to(ROOT)))
            elif name in CLIENT_METHODS and name != "api_call":
                calls.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return calls


def called_api_methods() -> set[str]:
    """Every Web API method heart-bot calls (Bolt's own included)."""
    methods = set(BOLT_CALLS)
    for name in called_client_methods():
        methods |= {name.removeprefix("api_call:")} if name.startswith("api_call:") else api_methods_of(name)
    return methods


def needed_scopes() -> set[str]:
    needed: set[str] = set()
    for method in called_api_methods():
        scopes = SCOPE_OF.get(method) or ()
        needed.update((scopes,) if isinstance(scopes, str) else scopes)
    if MANIFEST["features"].get("slash_commands"):
        needed.add("commands")  # slash commands are the one scope no method call needs
    return needed


def test_the_scan_finds_the_calls_heart_bot_makes():
    methods = called_api_methods()
    # A reminder post, a DM, an uploaded export and the coordinator group: the scan sees through
    # files_upload_v2 to the two methods it calls.
    assert {"chat.postMessage", "conversations.open", "files.getUploadURLExternal", "usergroups.users.list"} <= methods
    assert "files.completeUploadExternal" in methods and "views.open" in methods


def test_every_method_called_is_known():
    unknown = called_api_methods() - set(SCOPE_OF)
    assert not unknown, f"add the scope of {sorted(unknown)} to SCOPE_OF (see docs.slack.dev/reference/methods/)"


def test_every_method_called_has_its_scope_in_the_manifest():
    missing = needed_scopes() - SCOPES
    assert not missing, f"manifest.yml lacks {sorted(missing)}: Slack would answer missing_scope"


def test_the_manifest_asks_for_no_scope_the_code_does_not_use():
    unused = SCOPES - needed_scopes()
    assert not unused, f"manifest.yml asks for {sorted(unused)}, which no call needs: remove it (least privilege)"


def test_the_readme_names_exactly_the_manifest_scopes():
    readme = (ROOT / "README.md").read_text()
    paragraph = readme[readme.index("The bot asks Slack only for what it uses") :].split("\n\n", 1)[0]
    named = set(re.findall(r"`([a-z]+(?::[a-z.]+)?)`", paragraph))
    assert named == SCOPES
