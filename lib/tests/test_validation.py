"""The shared `parse`: what a caller sees when a request does not fit its model."""
from __future__ import annotations

from typing import Literal, Union

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from certtrack_shared.errors import DomainError, FieldErrors
from certtrack_shared.validation import field_errors, parse


class InvalidThing(FieldErrors, DomainError):
    pass


class Address(BaseModel):
    city: str = Field(max_length=5)


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    address: Address | None = None
    shown: Union[Literal["all"], list[str]] = "all"


def test_valid_data_comes_back_as_the_model():
    request = parse(Request, {"name": "Ada", "address": {"city": "Oslo"}}, InvalidThing)
    assert request.address.city == "Oslo"


def test_missing_data_is_an_empty_request_not_a_crash():
    with pytest.raises(InvalidThing) as raised:
        parse(Request, None, InvalidThing)
    assert raised.value.fields == {"name": "This field is required."}


def test_data_that_is_not_a_mapping_is_refused_as_the_whole_request():
    with pytest.raises(InvalidThing) as raised:
        parse(Request, ["name", "Ada"], InvalidThing)
    assert list(raised.value.fields) == ["request"]


def test_each_bad_field_is_named_in_words_without_the_input_or_a_link():
    with pytest.raises(InvalidThing) as raised:
        parse(Request, {"name": "Ada", "address": {"city": "Copenhagen"}, "password": "hunter2"}, InvalidThing)
    assert raised.value.fields == {"address.city": "Use at most 5 characters.",
                                   "password": "This field cannot be changed."}
    assert "hunter2" not in str(raised.value) and "http" not in str(raised.value)


def test_read_only_fields_get_their_own_words():
    with pytest.raises(InvalidThing) as raised:
        parse(Request, {"name": "Ada", "candidate_id": "X"}, InvalidThing,
              read_only={"candidate_id": "The candidate ID cannot be changed."})
    assert raised.value.fields == {"candidate_id": "The candidate ID cannot be changed."}


def test_otherwise_words_every_other_problem_in_one_plain_sentence():
    with pytest.raises(InvalidThing) as raised:
        parse(Request, {"name": 7, "address": {"city": "Copenhagen"}}, InvalidThing,
              otherwise="This value is not valid.")
    assert raised.value.fields == {"name": "This value is not valid.",
                                   "address.city": "Use at most 5 characters."}


def test_a_union_is_reported_once_under_the_field_not_per_branch():
    with pytest.raises(InvalidThing) as raised:
        parse(Request, {"name": "Ada", "shown": 7}, InvalidThing)
    assert list(raised.value.fields) == ["shown"]


def test_depth_cuts_nested_locations():
    with pytest.raises(ValidationError) as raised:
        Request.model_validate({"name": "Ada", "address": {"city": 12345678}})
    assert list(field_errors(raised.value, depth=1)) == ["address"]
    assert list(field_errors(raised.value)) == ["address.city"]


def test_error_may_be_any_callable_building_the_service_error():
    def invalid(fields):
        return InvalidThing({**fields, "message": "Check the highlighted fields."})

    with pytest.raises(InvalidThing) as raised:
        parse(Request, {}, invalid)
    assert raised.value.fields["message"] == "Check the highlighted fields."
