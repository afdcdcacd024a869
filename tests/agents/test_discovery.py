"""The discovery routes over HTTP: the page, llms.txt, the agent card and the MCP manifest."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from a2a.types import AgentCard
from a2a.utils.proto_utils import validate_proto_required_fields
from google.protobuf.json_format import MessageToDict, ParseDict

from fvs.agents import cards
from tests.accounts.web_helpers import sign_up
from tests.threaded_server import serve_in_thread

PUBLIC = "https://films.example.net"
FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "studio.proxied.example"}


def test_the_page_is_html_in_the_studio_template_under_the_strict_policy(client):
    answer = client.get("/docs/agent")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "'unsafe-inline'" not in policy
    html = answer.text
    assert '<link rel="stylesheet" href="/static/studio.css">' in html  # base.html
    assert "<h1>Future Video Studio: the agent API</h1>" in html
    assert "<table>" in html and '<code class="language-python">' in html
    # No inline script or style for the policy to block; the only script is studio.js.
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/studio.js" defer>']
    assert not re.search(r"<[^>]+\s(on[a-z]+|style)=", html) and "<style" not in html


def test_the_markdown_is_the_same_page_as_text_markdown(client):
    answer = client.get("/docs/agent.md")
    assert answer.headers["content-type"] == "text/markdown; charset=utf-8"
    assert answer.text.startswith("# Future Video Studio: the agent API\n")
    assert 'BASE_URL = "http://testserver"' in answer.text


@pytest.mark.settings(public_base_url=PUBLIC + "/")
def test_the_configured_public_origin_wins(client):
    for path in ("/docs/agent.md", "/llms.txt", "/.well-known/agent-card.json"):
        text = client.get(path, headers=FORWARDED).text
        assert PUBLIC in text and "testserver" not in text and "proxied" not in text
    assert client.get("/.well-known/mcp/server.json").json()["remotes"][0]["url"] == f"{PUBLIC}/mcp"


@pytest.mark.settings(trusted_proxies="127.0.0.1/32")
def test_a_trusted_proxys_forwarded_origin_is_the_pages(settings):
    # A real socket, so the peer is 127.0.0.1, the proxy the settings trust.
    with serve_in_thread(settings) as base:
        text = requests.get(f"{base}/docs/agent.md", headers=FORWARDED, timeout=30).text
        card = requests.get(f"{base}/.well-known/agent-card.json", headers=FORWARDED, timeout=30)
    assert 'BASE_URL = "https://studio.proxied.example"' in text
    assert card.json()["documentationUrl"] == "https://studio.proxied.example/docs/agent"


def test_an_untrusted_peers_forwarded_host_is_ignored(client):
    text = client.get("/docs/agent.md", headers=FORWARDED).text
    assert "studio.proxied.example" not in text and 'BASE_URL = "http://testserver"' in text


def test_llms_txt_follows_the_format_and_its_links_answer(client):
    text = client.get("/llms.txt").text
    lines = text.splitlines()
    assert lines[0] == "# Future Video Studio"
    assert lines[2].startswith("> ")
    assert "## Docs" in lines and "## Optional" in lines
    links = re.findall(r"^- \[([^\]]+)\]\((http://testserver[^)]*)\)", text, re.M)
    named = {name: url for name, url in links}
    assert named["Agent API"] == "http://testserver/docs/agent.md"
    assert named["MCP endpoint"] == "http://testserver/mcp"
    assert named["A2A agent card"] == "http://testserver/.well-known/agent-card.json"
    for name, url in links:
        if name != "MCP endpoint":  # served by the MCP server, with a key
            assert client.get(url).status_code == 200, name


def _card(client: Any) -> dict[str, Any]:
    answer = client.get("/.well-known/agent-card.json")
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == "*"
    return answer.json()


def test_the_agent_card_is_a_valid_a2a_agent_card(client):
    body = _card(client)
    card = ParseDict(body, AgentCard())  # strict: an unknown or misspelt field raises
    validate_proto_required_fields(card)
    assert MessageToDict(card) == body  # nothing was dropped or reshaped
    assert [skill.id for skill in card.skills] == ["create_render", "check_render", "cancel_render"]
    scheme = card.security_schemes["agentKey"].api_key_security_scheme
    assert (scheme.location, scheme.name) == ("header", "X-FVS-Agent-Key")
    assert list(card.security_requirements[0].schemes) == ["agentKey"]
    assert card.documentation_url == "http://testserver/docs/agent"
    urls = {i.protocol_binding: i.url for i in card.supported_interfaces}
    assert urls["MCP"] == "http://testserver/mcp"
    assert urls["HTTP+JSON/fvs-agent-api"] == "http://testserver/api/agent"


def test_a_card_missing_a_required_field_fails_the_sdks_check():
    body = cards.agent_card("https://x.example")
    del body["skills"][0]["tags"]
    with pytest.raises(Exception, match="Validation failed"):
        validate_proto_required_fields(ParseDict(body, AgentCard()))


NAME = re.compile(r"^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$")


def test_the_mcp_manifest_has_the_registry_schemas_required_keys(client):
    answer = client.get("/.well-known/mcp/server.json")
    assert answer.status_code == 200
    manifest = answer.json()
    assert manifest["$schema"].startswith("https://static.modelcontextprotocol.io/schemas/")
    for key in ("name", "description", "version"):
        assert isinstance(manifest[key], str) and manifest[key]
    assert NAME.match(manifest["name"]) and len(manifest["description"]) <= 100
    (remote,) = manifest["remotes"]
    assert remote == {
        "type": "streamable-http",
        "url": "http://testserver/mcp",
        "headers": [
            {
                "name": "X-FVS-Agent-Key",
                "description": remote["headers"][0]["description"],
                "isRequired": True,
                "isSecret": True,
            }
        ],
    }
    (package,) = manifest["packages"]
    for key in ("registryType", "identifier", "version", "transport"):
        assert package[key]
    assert (package["registryType"], package["identifier"]) == ("pypi", "future-video-studio")
    assert package["transport"] == {"type": "stdio"}
    variables = {v["name"]: v for v in package["environmentVariables"]}
    assert variables["FVS_AGENT_KEY"]["isSecret"] and variables["FVS_AGENT_KEY"]["isRequired"]
    assert variables["FVS_BASE_URL"]["default"] == "http://testserver"
    assert all(v["description"] for v in variables.values())


def test_the_settings_page_links_the_agent_page_beside_the_keys(client):
    sign_up(client)
    html = client.get("/settings").text
    keys = html.split('id="keys-title"', 1)[1].split("</section>", 1)[0]
    assert '<a href="/docs/agent">' in keys
