"""scripts/contract_diff.py: each gate fails on a breaking change, and only BREAKING.md lets one
through (never a change of an event's data)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.contracts.conftest import script

diff = script("contract_diff")


def _texts(changes: list[Any]) -> list[str]:
    return [change.text for change in changes]


def _changed(document: dict[str, Any], edit: Any) -> dict[str, Any]:
    new = copy.deepcopy(document)
    edit(new)
    return new


@pytest.fixture
def schemas(committed_openapi):
    return committed_openapi["components"]["schemas"]


def test_the_same_document_has_no_breaking_change(committed_openapi, committed_asyncapi):
    assert diff.openapi_changes(committed_openapi, committed_openapi) == []
    assert diff.asyncapi_changes(committed_asyncapi, committed_asyncapi) == []


def test_a_removed_operation_or_response_field_breaks_the_rest_api(committed_openapi):
    def edit(new: dict[str, Any]) -> None:
        del new["paths"]["/livez"]
        del new["components"]["schemas"]["ProfileResponse"]["properties"]["phone"]

    changes = _texts(diff.openapi_changes(committed_openapi, _changed(committed_openapi, edit)))

    assert "GET /livez: removed" in changes
    assert "GET /api/v1/users/me/ response 200.phone: removed" in changes


def test_a_new_required_request_field_breaks_the_rest_api(committed_openapi):
    def edit(new: dict[str, Any]) -> None:
        sign_up = new["components"]["schemas"]["SignUpRequest"]
        sign_up["properties"]["invite"] = {"type": "string"}
        sign_up["required"].append("invite")

    changes = _texts(diff.openapi_changes(committed_openapi, _changed(committed_openapi, edit)))

    assert changes == ["POST /api/v1/auth/sign-up/ request body.invite: new and required"]


def test_a_narrowed_request_type_or_limit_breaks_the_rest_api(committed_openapi):
    def edit(new: dict[str, Any]) -> None:
        properties = new["components"]["schemas"]["SignUpRequest"]["properties"]
        properties["password"]["maxLength"] = 64
        properties["first_name"] = {"type": "string", "maxLength": 128}  # null no longer taken

    changes = _texts(diff.openapi_changes(committed_openapi, _changed(committed_openapi, edit)))

    assert changes == [
        "POST /api/v1/auth/sign-up/ request body.password: maxLength lowered to 64",
        "POST /api/v1/auth/sign-up/ request body.first_name: type narrowed from null|string to"
        " string",
    ]


def test_a_nullable_response_field_and_a_renamed_operation_break_the_rest_api(committed_openapi):
    def edit(new: dict[str, Any]) -> None:
        new["components"]["schemas"]["TokenPairResponse"]["properties"]["access"] = {
            "anyOf": [{"type": "string"}, {"type": "null"}]
        }
        new["paths"]["/livez"]["get"]["operationId"] = "liveness"

    changes = _texts(diff.openapi_changes(committed_openapi, _changed(committed_openapi, edit)))

    assert "GET /livez operationId: livez renamed to liveness" in changes
    assert (
        "POST /api/v1/auth/tokens/ response 200.access: type widened from string to null|string"
        in changes
    )


def test_additions_break_no_client(committed_openapi):
    def edit(new: dict[str, Any]) -> None:
        new["paths"]["/api/v1/new/"] = copy.deepcopy(new["paths"]["/livez"])
        new["paths"]["/api/v1/new/"]["get"]["operationId"] = "newThing"
        schemas = new["components"]["schemas"]
        schemas["SignUpRequest"]["properties"]["invite"] = {"type": "string"}  # optional
        schemas["ProfileResponse"]["properties"]["nickname"] = {"type": "string"}
        schemas["ProfileResponse"]["required"].append("nickname")
        schemas["SignInRequest"]["properties"]["password"].pop("maxLength")  # wider
        new["paths"]["/livez"]["get"]["responses"].pop("500")  # an error no longer answered

    assert diff.openapi_changes(committed_openapi, _changed(committed_openapi, edit)) == []


def _event_data(document: dict[str, Any], name: str) -> dict[str, Any]:
    data: dict[str, Any] = document["components"]["schemas"][name]
    return data


def test_a_renamed_field_of_an_events_data_is_breaking_and_never_accepted(
    committed_asyncapi, tmp_path
):
    def edit(new: dict[str, Any]) -> None:
        data = _event_data(new, "users.roles_changed.v1")
        data["properties"]["granted"] = data["properties"].pop("roles")
        data["required"] = ["user_uuid", "granted"]

    changes = diff.asyncapi_changes(committed_asyncapi, _changed(committed_asyncapi, edit))
    named = tmp_path / "BREAKING.md"
    named.write_text("".join(f"- `{text}`: renamed\n" for text in _texts(changes)))

    assert _texts(changes) == [
        "event users.roles_changed.v1 payload.data.roles: removed",
        "event users.roles_changed.v1 payload.data.granted: new and required",
    ]
    lines, ok = diff.report(changes, diff.accepted(named))
    assert not ok
    assert all("publish it as a new version instead" in line for line in lines)


def test_a_changed_type_of_an_events_field_is_breaking(committed_asyncapi):
    def edit(new: dict[str, Any]) -> None:
        _event_data(new, "debug.echo.v1")["properties"]["fail_times"] = {"type": "string"}

    changes = _texts(diff.asyncapi_changes(committed_asyncapi, _changed(committed_asyncapi, edit)))

    assert changes == [
        "event debug.echo.v1 payload.data.fail_times: type narrowed from integer to string"
    ]


def test_a_v2_beside_the_unchanged_v1_breaks_nothing(committed_asyncapi):
    def edit(new: dict[str, Any]) -> None:
        messages, schemas = new["components"]["messages"], new["components"]["schemas"]
        messages["users.roles_changed.v2"] = copy.deepcopy(messages["users.roles_changed.v1"])
        schemas["users.roles_changed.v2"] = {"type": "object", "properties": {}}

    assert diff.asyncapi_changes(committed_asyncapi, _changed(committed_asyncapi, edit)) == []


def test_removing_an_event_needs_a_breaking_md_entry(committed_asyncapi, tmp_path):
    new = _changed(committed_asyncapi, lambda d: d["components"]["messages"].pop("debug.echo.v1"))
    changes = diff.asyncapi_changes(committed_asyncapi, new)
    named = tmp_path / "BREAKING.md"

    assert _texts(changes) == ["event debug.echo.v1: removed"]
    assert diff.report(changes, diff.accepted(named)) == (
        ["BREAKING: event debug.echo.v1: removed"],
        False,
    )
    named.write_text("- `event debug.echo.v1: removed`: deprecated since 2026-06-01.\n")
    assert diff.report(changes, diff.accepted(named))[1] is True


def test_breaking_md_accepts_only_the_code_spans_of_its_list_items(tmp_path):
    named = tmp_path / "BREAKING.md"
    named.write_text(
        "# Breaking changes\n\nProse with `not an entry`.\n\n"
        "```text\n- `an example`: in a code block\n```\n\n"
        "- `GET /livez: removed` and `GET /readyz: removed`: probes moved to /health.\n"
        "  - `nested entry`\n"
    )

    assert diff.accepted(named) == {"GET /livez: removed", "GET /readyz: removed", "nested entry"}


def test_bufs_findings_pass_only_when_breaking_md_names_them(tmp_path):
    finding = {
        "path": "app/v1/users.proto",
        "start_line": 39,
        "type": "FIELD_NO_DELETE",
        "message": 'Previously present field "2" with name "email" on message "Profile" was'
        " deleted.",
    }
    changes = diff.buf_changes([json.dumps(finding), ""])
    text = f"app/v1/users.proto: {finding['message']}"
    named = tmp_path / "BREAKING.md"
    named.write_text(f"- `{text}`: clients read it from GetMe's email instead.\n")

    assert _texts(changes) == [text]
    assert diff.report(changes, set())[1] is False
    assert diff.report(changes, diff.accepted(named))[1] is True


def test_the_command_line_exits_1_on_an_unaccepted_change(committed_openapi, tmp_path, capsys):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(committed_openapi))
    removed = _changed(committed_openapi, lambda d: d["paths"].pop("/readyz"))
    new.write_text(json.dumps(removed))
    none = tmp_path / "BREAKING.md"

    assert diff.main(["openapi", str(old), str(old), "--breaking-md", str(none)]) == 0
    assert diff.main(["openapi", str(old), str(new), "--breaking-md", str(none)]) == 1
    assert "BREAKING: GET /readyz: removed" in capsys.readouterr().out


def test_a_recursive_schema_is_compared_once():
    node = {
        "type": "object",
        "properties": {"child": {"$ref": "#/components/schemas/Node"}, "name": {"type": "string"}},
        "required": ["name"],
    }
    document = {"components": {"schemas": {"Node": node}}}
    smaller = copy.deepcopy(document)
    del smaller["components"]["schemas"]["Node"]["properties"]["name"]
    compared = diff.Schemas(document, smaller)

    changes = compared.compare(
        {"$ref": "#/components/schemas/Node"},
        {"$ref": "#/components/schemas/Node"},
        "node",
        diff.Mode.OUTPUT,
    )

    assert changes == ["node.name: removed"]
