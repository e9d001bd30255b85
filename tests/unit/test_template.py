"""The rota template is parsed strictly: every mistake names the file, the block and the key."""

from __future__ import annotations

import datetime as dtm
import pathlib
import re

import pytest

from rota.kernel.template import (
    MIN_MESSAGE_ROWS,
    BriefingPlan,
    CheckInPlan,
    RetentionPolicy,
    RoleSpec,
    RotaTemplate,
    SessionSpec,
    TemplateError,
    example_template_path,
    load_template,
    parse_template,
)

SESSION = """
[[session]]
key = "wednesday"
weekday = "wednesday"
start = "19:00"
end = "23:00"
meeting_point = "St Anne's Hall"
"""

ROLE = """
[[role]]
key = "walker"
label = "Walker"
capacity = 8
minimum = 4
"""

VALID = SESSION + ROLE


def edit(text: str, old: str, new: str) -> str:
    """Replace exactly one line of a known-good template, so each test changes one thing."""
    assert text.count(old) == 1, old
    return text.replace(old, new)


def refusal(text: str) -> str:
    with pytest.raises(TemplateError) as caught:
        parse_template(text)
    return str(caught.value)


# --- what is accepted -------------------------------------------------------------------


def test_minimal_template_parses_with_defaults() -> None:
    assert parse_template(VALID) == RotaTemplate(
        sessions=(
            SessionSpec(
                key="wednesday",
                weekday=2,
                start=dtm.time(19),
                end=dtm.time(23),
                meeting_point="St Anne's Hall",
                weeks_ahead=6,
            ),
        ),
        roles=(
            RoleSpec(
                key="walker",
                label="Walker",
                capacity=8,
                minimum=4,
                pairs=False,
                requires=frozenset(),
            ),
        ),
        late_notice=dtm.timedelta(hours=48),
    )


def test_shipped_example_parses() -> None:
    template = load_template(example_template_path())
    assert [s.key for s in template.sessions] == ["wednesday"]
    assert [r.key for r in template.roles] == ["lead", "walker", "dropin", "oncall"]
    assert template.late_notice == dtm.timedelta(hours=48)


def test_shipped_example_describes_the_wednesday_night() -> None:
    template = load_template(example_template_path())
    wednesday = template.sessions[0]
    assert (wednesday.weekday, wednesday.start, wednesday.end) == (2, dtm.time(19), dtm.time(23))
    assert wednesday.weeks_ahead == 6
    assert template.role("walker") == RoleSpec(
        key="walker",
        label="Walker",
        capacity=8,
        minimum=4,
        pairs=True,
        requires=frozenset({"trained", "new"}),
    )


def test_shipped_example_lives_in_the_package() -> None:
    path = example_template_path()
    assert path.is_file()
    assert path.parent == pathlib.Path(__file__).parents[2] / "rota"


def test_role_lookup_by_key() -> None:
    template = parse_template(VALID)
    assert template.role("walker") is template.roles[0]
    assert template.role("lead") is None


def test_session_lookup_by_key() -> None:
    template = parse_template(VALID)
    assert template.session("wednesday") is template.sessions[0]
    assert template.session("friday") is None


def test_roles_and_sessions_keep_file_order() -> None:
    text = VALID + edit(ROLE, 'key = "walker"', 'key = "dropin"')
    text += edit(SESSION, 'key = "wednesday"', 'key = "friday"')
    template = parse_template(text)
    assert [r.key for r in template.roles] == ["walker", "dropin"]
    assert [s.key for s in template.sessions] == ["wednesday", "friday"]


def test_a_session_key_may_match_a_role_key() -> None:
    text = edit(VALID, 'key = "walker"', 'key = "wednesday"')
    assert parse_template(text).role("wednesday") is not None


@pytest.mark.parametrize(
    ("written", "number"),
    [
        ("monday", 0),
        ("tuesday", 1),
        ("wednesday", 2),
        ("thursday", 3),
        ("friday", 4),
        ("saturday", 5),
        ("sunday", 6),
        ("mon", 0),
        ("wed", 2),
        ("sun", 6),
        ("Wednesday", 2),
        ("WED", 2),
        ("thurs", 3),
        (" friday ", 4),
    ],
)
def test_weekday_by_name(written: str, number: int) -> None:
    text = edit(VALID, 'weekday = "wednesday"', f'weekday = "{written}"')
    assert parse_template(text).sessions[0].weekday == number


def test_session_may_end_after_midnight() -> None:
    text = edit(VALID, 'end = "23:00"', 'end = "01:00"')
    assert parse_template(text).sessions[0].end == dtm.time(1)


@pytest.mark.parametrize(
    ("written", "delta"), [("0m", dtm.timedelta(0)), ("1d12h", dtm.timedelta(hours=36))]
)
def test_late_notice_is_a_duration(written: str, delta: dtm.timedelta) -> None:
    assert parse_template(f'late_notice = "{written}"\n' + VALID).late_notice == delta


def test_optional_role_fields() -> None:
    role = ROLE + 'pairs = true\nrequires = ["trained", "new", "trained"]\n'
    spec = parse_template(SESSION + role).roles[0]
    assert spec.pairs is True
    assert spec.requires == frozenset({"trained", "new"})


def test_weeks_ahead_may_be_set() -> None:
    text = VALID.replace('end = "23:00"', 'end = "23:00"\nweeks_ahead = 52')
    assert parse_template(text).sessions[0].weeks_ahead == 52


def test_minimum_may_be_zero_or_equal_capacity() -> None:
    assert parse_template(edit(VALID, "minimum = 4", "minimum = 0")).roles[0].minimum == 0
    assert parse_template(edit(VALID, "minimum = 4", "minimum = 8")).roles[0].minimum == 8


def test_text_values_are_trimmed() -> None:
    text = edit(VALID, 'meeting_point = "St Anne\'s Hall"', 'meeting_point = "  The Hall  "')
    assert parse_template(text).sessions[0].meeting_point == "The Hall"


def test_template_error_is_a_value_error() -> None:
    assert issubclass(TemplateError, ValueError)


# --- unknown keys and sections ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "colour = 'red'\n" + VALID,
            "rota.toml: unknown key 'colour'; allowed here: late_notice, [[session]], [[role]], "
            "[checkins], [briefing], [retention]",
        ),
        (
            VALID + "[checkins]\nevery = '30m'\n",
            "rota.toml: [checkins] has unknown key 'every'; allowed here: interval, grace, "
            "escalate_after, reescalate_after, home_safe_within, duress_word",
        ),
        (
            VALID + "[debrief]\n",
            "rota.toml: unknown section [debrief]; allowed here: late_notice, [[session]], "
            "[[role]], [checkins], [briefing], [retention]",
        ),
        (
            VALID + "[[sessions]]\nkey = 'x'\n",
            "rota.toml: unknown section [[sessions]]; allowed here: late_notice, [[session]], "
            "[[role]], [checkins], [briefing], [retention]",
        ),
        (
            edit(VALID, 'end = "23:00"', 'end = "23:00"\nfinish = "23:30"'),
            "rota.toml: [[session]] #1 has unknown key 'finish'; allowed here: key, weekday, "
            "start, end, meeting_point, weeks_ahead",
        ),
        (
            edit(VALID, "minimum = 4", "minimum = 4\nmaximum = 8"),
            "rota.toml: [[role]] #1 has unknown key 'maximum'; allowed here: key, label, "
            "capacity, minimum, pairs, requires",
        ),
    ],
)
def test_unknown_keys_are_refused_with_the_allowed_ones(text: str, message: str) -> None:
    assert refusal(text) == message


# --- missing things ---------------------------------------------------------------------


def test_missing_sessions_are_refused() -> None:
    assert refusal(ROLE) == "rota.toml: no [[session]] block; the rota needs at least one"


def test_missing_roles_are_refused() -> None:
    assert refusal(SESSION) == "rota.toml: no [[role]] block; the rota needs at least one"


def test_empty_file_is_refused() -> None:
    assert "no [[session]] block" in refusal("")


@pytest.mark.parametrize(
    "text",
    [
        'session = "wednesday"\n' + ROLE,
        "session = []\n" + ROLE,
        "session = [1, 2]\n" + ROLE,
        ROLE + SESSION.replace("[[session]]", "[session]"),
    ],
)
def test_sessions_must_be_blocks(text: str) -> None:
    assert refusal(text) == "rota.toml: 'session' must be written as [[session]] blocks"


def test_roles_must_be_blocks() -> None:
    text = SESSION + ROLE.replace("[[role]]", "[role]")
    assert refusal(text) == "rota.toml: 'role' must be written as [[role]] blocks"


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('key = "wednesday"', "key"),
        ('weekday = "wednesday"', "weekday"),
        ('start = "19:00"', "start"),
        ('end = "23:00"', "end"),
        ('meeting_point = "St Anne\'s Hall"', "meeting_point"),
    ],
)
def test_session_required_keys(line: str, key: str) -> None:
    assert refusal(edit(VALID, line + "\n", "")) == f"rota.toml: [[session]] #1 is missing {key!r}"


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('key = "walker"', "key"),
        ('label = "Walker"', "label"),
        ("capacity = 8", "capacity"),
        ("minimum = 4", "minimum"),
    ],
)
def test_role_required_keys(line: str, key: str) -> None:
    assert refusal(edit(VALID, line + "\n", "")) == f"rota.toml: [[role]] #1 is missing {key!r}"


def test_the_block_number_points_at_the_bad_block() -> None:
    second = edit(ROLE, 'key = "walker"', 'key = "dropin"')
    text = VALID + edit(second, "capacity = 8", 'capacity = "eight"')
    assert refusal(text) == (
        "rota.toml: [[role]] #2 'capacity' must be a whole number from 1 to 100, got 'eight'"
    )


# --- keys -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ('"Walker"', "'Walker'"),
        ('"1st"', "'1st'"),
        ('"night-walk"', "'night-walk'"),
        ('"night walk"', "'night walk'"),
        ('""', "''"),
        (f'"{"a" * 21}"', repr("a" * 21)),
        ("5", "5"),
    ],
)
def test_role_key_format(value: str, shown: str) -> None:
    assert refusal(edit(VALID, 'key = "walker"', f"key = {value}")) == (
        "rota.toml: [[role]] #1 'key' must be lowercase letters, digits or _, starting with a "
        f"letter, at most 20 characters, got {shown}"
    )


def test_session_key_format() -> None:
    message = refusal(edit(VALID, 'key = "wednesday"', 'key = "Wednesday"'))
    assert message.startswith("rota.toml: [[session]] #1 'key' must be lowercase letters")


def test_longest_key_is_accepted() -> None:
    text = edit(VALID, 'key = "walker"', f'key = "w{"_" * 18}9"')
    assert parse_template(text).roles[0].key == "w" + "_" * 18 + "9"


def test_duplicate_role_keys_are_refused() -> None:
    assert refusal(VALID + ROLE) == (
        "rota.toml: [[role]] #2 'key' 'walker' is already used by [[role]] #1"
    )


def test_duplicate_session_keys_are_refused() -> None:
    assert refusal(VALID + SESSION) == (
        "rota.toml: [[session]] #2 'key' 'wednesday' is already used by [[session]] #1"
    )


# --- session values ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            'weekday = "wensday"',
            "[[session]] #1 'weekday' must be a day of the week like wednesday or wed, "
            "got 'wensday'",
        ),
        (
            "weekday = 2",
            "[[session]] #1 'weekday' must be a day of the week like wednesday or wed, got 2",
        ),
        (
            'start = "7pm"',
            "[[session]] #1 'start' '7pm' is not a time: write it as HH:MM, e.g. 19:00",
        ),
        (
            'start = "24:00"',
            "[[session]] #1 'start' '24:00' is not a time: write it as HH:MM, e.g. 19:00",
        ),
        (
            "start = 1900",
            "[[session]] #1 'start' must be a time in quotes like \"19:00\", got 1900",
        ),
        (
            "start = 19:00:00",
            "[[session]] #1 'start' must be a time in quotes like \"19:00\", got 19:00:00",
        ),
        (
            'end = "23:60"',
            "[[session]] #1 'end' '23:60' is not a time: write it as HH:MM, e.g. 19:00",
        ),
        ('end = "19:00"', "[[session]] #1 'end' must differ from 'start' (both are 19:00)"),
        (
            'meeting_point = ""',
            "[[session]] #1 'meeting_point' must be 1 to 200 characters, got 0",
        ),
        (
            'meeting_point = "   "',
            "[[session]] #1 'meeting_point' must be 1 to 200 characters, got 0",
        ),
        (
            f'meeting_point = "{"x" * 201}"',
            "[[session]] #1 'meeting_point' must be 1 to 200 characters, got 201",
        ),
        ("meeting_point = 12", "[[session]] #1 'meeting_point' must be text in quotes, got 12"),
    ],
)
def test_bad_session_values(line: str, message: str) -> None:
    key = line.split(" = ")[0]
    text = "\n".join(line if row.startswith(f"{key} = ") else row for row in VALID.splitlines())
    assert refusal(text) == f"rota.toml: {message}"


@pytest.mark.parametrize(
    ("value", "shown"),
    [("0", "0"), ("53", "53"), ('"6"', "'6'"), ("6.0", "6.0"), ("true", "true")],
)
def test_weeks_ahead_range(value: str, shown: str) -> None:
    text = edit(VALID, 'end = "23:00"', f'end = "23:00"\nweeks_ahead = {value}')
    assert refusal(text) == (
        f"rota.toml: [[session]] #1 'weeks_ahead' must be a whole number from 1 to 52, got {shown}"
    )


# --- role values ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ('"eight"', "'eight'"),
        ("0", "0"),
        ("101", "101"),
        ("-1", "-1"),
        ("8.0", "8.0"),
        ("true", "true"),
    ],
)
def test_capacity_range(value: str, shown: str) -> None:
    assert refusal(edit(VALID, "capacity = 8", f"capacity = {value}")) == (
        f"rota.toml: [[role]] #1 'capacity' must be a whole number from 1 to 100, got {shown}"
    )


@pytest.mark.parametrize(("value", "shown"), [("9", "9"), ("-1", "-1"), ('"4"', "'4'")])
def test_minimum_between_zero_and_capacity(value: str, shown: str) -> None:
    assert refusal(edit(VALID, "minimum = 4", f"minimum = {value}")) == (
        f"rota.toml: [[role]] #1 'minimum' must be a whole number from 0 to 8, got {shown}"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('""', "must be 1 to 40 characters, got 0"),
        (f'"{"L" * 41}"', "must be 1 to 40 characters, got 41"),
        ("7", "must be text in quotes, got 7"),
    ],
)
def test_label_rules(value: str, message: str) -> None:
    assert refusal(edit(VALID, 'label = "Walker"', f"label = {value}")) == (
        f"rota.toml: [[role]] #1 'label' {message}"
    )


def test_forty_character_label_is_accepted() -> None:
    text = edit(VALID, 'label = "Walker"', f'label = "{"L" * 40}"')
    assert parse_template(text).roles[0].label == "L" * 40


@pytest.mark.parametrize(
    ("value", "shown"), [('"yes"', "'yes'"), ('"true"', "'true'"), ("1", "1")]
)
def test_pairs_must_be_a_real_boolean(value: str, shown: str) -> None:
    assert refusal(VALID + f"pairs = {value}\n") == (
        f"rota.toml: [[role]] #1 'pairs' must be true or false (without quotes), got {shown}"
    )


def test_requires_must_be_a_list() -> None:
    assert refusal(VALID + 'requires = "lead"\n') == (
        "rota.toml: [[role]] #1 'requires' must be a list of tags like [\"trained\"], got 'lead'"
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [('["Lead"]', "'Lead'"), ("[1]", "1"), ('["a b"]', "'a b'"), ('["ok", ""]', "''")],
)
def test_requires_tags_must_be_lowercase_words(value: str, shown: str) -> None:
    assert refusal(VALID + f"requires = {value}\n") == (
        f"rota.toml: [[role]] #1 'requires' has {shown}, but a tag must be lowercase letters, "
        "digits, _ or -, starting with a letter, at most 20 characters"
    )


def test_requires_tags_may_use_hyphens() -> None:
    text = VALID + 'requires = ["first-aid", "lead_2"]\n'
    assert parse_template(text).roles[0].requires == frozenset({"first-aid", "lead_2"})


# --- late notice ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            'late_notice = "3x"',
            "rota.toml: 'late_notice' '3x' is not a duration: write it like 30m, 90s, 2h or 1d",
        ),
        (
            'late_notice = "-1h"',
            "rota.toml: 'late_notice' '-1h' is not a duration: write it like 30m, 90s, 2h or 1d",
        ),
        (
            "late_notice = 48",
            "rota.toml: 'late_notice' must be a duration in quotes like \"48h\", got 48",
        ),
    ],
)
def test_bad_late_notice(line: str, message: str) -> None:
    assert refusal(line + "\n" + VALID) == message


# --- the file ---------------------------------------------------------------------------


def test_toml_syntax_error_gives_the_line() -> None:
    text = edit(VALID, "capacity = 8", "capacity = = 8")
    message = refusal(text)
    assert message.startswith("rota.toml: not valid TOML: ")
    assert "line 12" in message


def test_source_names_the_file_in_messages() -> None:
    with pytest.raises(TemplateError, match=r"^my-rota\.toml: no \[\[role\]\] block"):
        parse_template(SESSION, source="my-rota.toml")


def test_load_template_reads_a_file(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "rota.toml"
    path.write_text(VALID, encoding="utf-8")
    assert load_template(path) == parse_template(VALID)


def test_load_template_accepts_a_byte_order_mark(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "rota.toml"
    path.write_bytes(b"\xef\xbb\xbf" + VALID.encode())
    assert load_template(path) == parse_template(VALID)


def test_load_template_names_the_path_in_rule_errors(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "rota.toml"
    path.write_text(SESSION, encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        load_template(path)
    assert str(caught.value) == f"{path}: no [[role]] block; the rota needs at least one"


def test_load_template_missing_file(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "absent.toml"
    with pytest.raises(TemplateError) as caught:
        load_template(path)
    assert str(caught.value).startswith(f"{path}: no rota template there; copy ")
    assert str(example_template_path()) in str(caught.value)


def test_load_template_unreadable_path(tmp_path: pathlib.Path) -> None:
    with pytest.raises(TemplateError) as caught:
        load_template(tmp_path)
    assert str(caught.value).startswith(f"{tmp_path}: cannot read the rota template: ")


def test_load_template_not_utf8(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "rota.toml"
    path.write_bytes(b'late_notice = "\xff"\n')
    with pytest.raises(TemplateError) as caught:
        load_template(path)
    assert str(caught.value) == f"{path}: the rota template is not UTF-8 text"


def test_load_template_bad_toml_names_the_path(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "rota.toml"
    path.write_text("[[session]\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"not valid TOML: .*line 1"):
        load_template(path)


# --- the check-in plan -------------------------------------------------------------------


def test_checkins_default_when_the_section_is_missing() -> None:
    assert parse_template(VALID).checkins == CheckInPlan()


def test_checkins_are_read_from_their_section() -> None:
    text = VALID + (
        '[checkins]\ninterval = "20m"\ngrace = "2m"\nescalate_after = "4m"\n'
        'reescalate_after = "90s"\nhome_safe_within = "1h"\nduress_word = "Pineapple"\n'
    )
    plan = parse_template(text).checkins
    assert plan == CheckInPlan(
        interval=dtm.timedelta(minutes=20),
        grace=dtm.timedelta(minutes=2),
        escalate_after=dtm.timedelta(minutes=4),
        reescalate_after=dtm.timedelta(seconds=90),
        home_safe_within=dtm.timedelta(hours=1),
        duress_word="pineapple",
    )


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ('interval = "0m"', "'interval' must be longer than zero"),
        ('grace = "10m"\nescalate_after = "10m"', "'grace' must be shorter than 'escalate_after'"),
        ("interval = 30", "'interval' must be a duration in quotes"),
        ('duress_word = "x1"', "'duress_word' must be 3 to 40 letters"),
    ],
)
def test_bad_checkins_are_refused(section: str, message: str) -> None:
    with pytest.raises(TemplateError, match=re.escape(message)):
        parse_template(VALID + "[checkins]\n" + section + "\n")


# --- the briefing plan -------------------------------------------------------------------


def test_briefing_defaults_when_the_section_is_missing() -> None:
    assert parse_template(VALID).briefing == BriefingPlan()


def test_briefing_is_read_from_its_section() -> None:
    text = VALID + (
        '[briefing]\nsend_before = "2h"\nreminder_before = "1d"\n'
        'checklist = ["Phone", " Badge "]\nnotes_retention = "6h"\n'
    )
    plan = parse_template(text).briefing
    assert plan.send_before == dtm.timedelta(hours=2)
    assert plan.reminder_before == dtm.timedelta(days=1)
    assert plan.checklist == ("Phone", "Badge")
    assert plan.notes_retention == dtm.timedelta(hours=6)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("checklist = 3", "'checklist' must be a list of short texts"),
        ('checklist = [""]', "'checklist' must be a list of short texts"),
        ('send_before = "20m"', "'unread_alert_before' must be shorter than 'send_before'"),
        ("colour = 1", "[briefing] has unknown key 'colour'"),
    ],
)
def test_bad_briefing_is_refused(section: str, message: str) -> None:
    with pytest.raises(TemplateError, match=re.escape(message)):
        parse_template(VALID + "[briefing]\n" + section + "\n")


# --- the retention policy ----------------------------------------------------------------


def test_retention_defaults_when_the_section_is_missing() -> None:
    policy = parse_template(VALID).retention
    assert policy == RetentionPolicy()
    assert (
        policy.message_bodies,
        policy.message_rows,
        policy.safety_log_details,
        policy.removed_volunteers,
        policy.invites,
    ) == (
        dtm.timedelta(days=3),
        dtm.timedelta(days=35),
        dtm.timedelta(days=90),
        dtm.timedelta(days=30),
        dtm.timedelta(days=7),
    )


def test_retention_keys_are_each_optional() -> None:
    policy = parse_template(VALID + '[retention]\ninvites = "2d"\n').retention
    assert policy == RetentionPolicy(invites=dtm.timedelta(days=2))


def test_retention_is_read_from_its_section() -> None:
    text = VALID + (
        '[retention]\nmessage_bodies = "12h"\nmessage_rows = "10d"\n'
        'safety_log_details = "60d"\nremoved_volunteers = "1d"\ninvites = "0m"\n'
    )
    assert parse_template(text).retention == RetentionPolicy(
        message_bodies=dtm.timedelta(hours=12),
        message_rows=dtm.timedelta(days=10),
        safety_log_details=dtm.timedelta(days=60),
        removed_volunteers=dtm.timedelta(days=1),
        invites=dtm.timedelta(0),
    )


def test_shipped_example_states_the_default_retention() -> None:
    assert load_template(example_template_path()).retention == RetentionPolicy()


def test_message_rows_may_be_exactly_the_minimum() -> None:
    text = VALID + '[retention]\nmessage_rows = "7d"\n'
    assert parse_template(text).retention.message_rows == MIN_MESSAGE_ROWS


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ('message_rows = "6d23h59m59s"', "[retention] 'message_rows' must be at least 7d"),
        ("invites = 7", "[retention] 'invites' must be a duration in quotes"),
        ('message_bodies = "3 days"', "[retention] 'message_bodies' '3 days' is not a duration"),
        (
            'messages = "3d"',
            "[retention] has unknown key 'messages'; allowed here: "
            "message_bodies, message_rows, safety_log_details, removed_volunteers, invites",
        ),
    ],
)
def test_bad_retention_is_refused(section: str, message: str) -> None:
    with pytest.raises(TemplateError, match=re.escape(message)):
        parse_template(VALID + "[retention]\n" + section + "\n")


def test_retention_must_be_a_section() -> None:
    assert refusal('retention = "3d"\n' + VALID) == (
        "rota.toml: 'retention' must be written as a [retention] section"
    )
