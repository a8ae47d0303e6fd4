"""The deployment files, checked without a container runtime (none is assumed in CI).

- ``compose.yaml`` validates against the Compose Specification's JSON schema
  (``compose-spec.json``: the copy vendored by check-jsonschema 0.39.0 from PyPI, Apache-2.0,
  licence beside it) with ``jsonschema_rs`` (pinned), and says what the deployment needs:
  PostgreSQL, the app with N workers on it, a TLS proxy in front, health checks.
- ``Dockerfile``: a small rule check (the practices hadolint would flag that matter here):
  pinned base images, a non-root user, no ``ADD`` of URLs, no cache left by pip or apt, a
  health check, the app's assets installed with the package.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema_rs
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def _compose() -> dict[str, object]:
    data = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_compose_file_is_valid_against_the_compose_schema() -> None:
    schema = json.loads((HERE / "compose-spec.json").read_text(encoding="utf-8"))
    validator = jsonschema_rs.validator_for(schema)
    errors = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(_compose())]
    assert not errors, errors


def test_the_schema_check_can_fail() -> None:
    schema = json.loads((HERE / "compose-spec.json").read_text(encoding="utf-8"))
    broken = _compose()
    broken["services"]["app"]["depends_on"] = {"db": {"condition": "whenever"}}  # type: ignore[index]
    assert not jsonschema_rs.validator_for(schema).is_valid(broken)


def test_compose_runs_postgresql_the_app_with_workers_and_a_tls_proxy() -> None:
    services = _compose()["services"]
    assert isinstance(services, dict)
    assert set(services) == {"db", "app", "proxy"}
    assert re.fullmatch(r"postgres:\d+\.\d+-\w+", services["db"]["image"])
    app = services["app"]
    command = [str(c) for c in app["command"]]
    assert command[0] == "serve"
    assert command[command.index("--workers") + 1] == "${AUTOSERUM_WORKERS:-2}"
    assert app["environment"]["AUTOSERUM_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert app["environment"]["AUTOSERUM_ENV"] == "production"
    assert "ports" not in app  # reachable through the proxy only
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert "/readyz" in " ".join(app["healthcheck"]["test"])
    proxy = services["proxy"]
    assert "443:443" in proxy["ports"]
    assert re.fullmatch(r"caddy:\d+\.\d+\.\d+-alpine", proxy["image"])
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text(encoding="utf-8")
    assert "reverse_proxy app:8000" in caddyfile


def _instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n\s*", " ", text)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def dockerfile_problems(instructions: list[tuple[str, str]]) -> list[str]:
    """The rule check: one message per broken rule (empty when the Dockerfile is fine)."""
    problems = []
    froms = [rest for word, rest in instructions if word == "FROM"]
    for image in froms:
        ref = image.split()[0]
        if "@sha256:" not in ref and not re.search(r":\d+(\.\d+)+[\w.-]*$", ref):
            problems.append(f"FROM {ref}: pin the base image to an exact version or digest")
    users = [(i, rest) for i, (word, rest) in enumerate(instructions) if word == "USER"]
    if not users or users[-1][1].split(":")[0] in ("root", "0"):
        problems.append("the final stage must switch to a non-root USER")
    last_from = max(i for i, (word, _) in enumerate(instructions) if word == "FROM")
    if users and users[-1][0] < last_from:
        problems.append("USER must be set in the final stage")
    for word, rest in instructions:
        if word == "ADD" and re.search(r"https?://", rest):
            problems.append("ADD of a URL: download in a RUN step with a checksum, or COPY")
        if word == "RUN" and "pip install" in rest and "--no-cache-dir" not in rest:
            problems.append("pip install without --no-cache-dir")
        if word == "RUN" and "pip install" in rest and " -c " not in rest:
            problems.append("pip install without the pinned constraints (-c)")
        tidy_apt = "--no-install-recommends" in rest and "rm -rf /var/lib/apt/lists" in rest
        if word == "RUN" and "apt-get install" in rest and not tidy_apt:
            problems.append("apt-get install without --no-install-recommends and cleanup")
        if word == "RUN" and re.search(r"\bsudo\b", rest):
            problems.append("sudo in a RUN step")
        if word == "ENV" and re.search(r"(SECRET|PASSWORD)\w*=", rest):
            problems.append("a secret in ENV: pass it at run time")
    if not any(word == "HEALTHCHECK" for word, _ in instructions):
        problems.append("no HEALTHCHECK")
    return problems


def test_dockerfile_follows_the_rules() -> None:
    assert dockerfile_problems(_instructions()) == []


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (("FROM", "python:3-slim"), "pin the base image"),
        (("ADD", "https://example.org/x.tgz /x"), "ADD of a URL"),
        (("RUN", "pip install ."), "--no-cache-dir"),
        (("ENV", "AUTOSERUM_SECRET_KEY=abc"), "a secret in ENV"),
        (("USER", "root"), "non-root USER"),
    ],
)
def test_the_dockerfile_rules_can_fail(line: tuple[str, str], problem: str) -> None:
    assert any(problem in p for p in dockerfile_problems([*_instructions(), line]))


def test_the_image_carries_the_apps_assets() -> None:
    # the wheel's package data includes the protocols, templates, static files and migrations
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for pattern in ('"**/*.toml"', '"**/*.html"', '"**/*.css"', '"**/*.js"', '"**/*.mako"'):
        assert pattern in text
    steps = _instructions()
    assert ("COPY", "src ./src") in steps
    assert any(w == "ENTRYPOINT" and "autoserum" in r for w, r in steps)
