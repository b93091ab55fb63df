"""The shipped catalogs load and say what the programs publish; a bad catalog
refuses to load, naming the file and the line of the offending entry."""
import textwrap

import pytest

from certs.catalog import CatalogError, load_catalog, load_catalogs, parse_catalog

CONTRACT_IDS = {
    "cisco": {"ccna", "ccnp_enterprise", "ccie_enterprise_infrastructure", "specialist_enterprise_core",
              "cyberops_associate", "devnet_associate", "ccst_networking"},
    "juniper": {"jncia_junos", "jncis_ent", "jncip_ent", "jncie_ent"},
}
CONCENTRATIONS = {
    "300-410": "specialist_enterprise_advanced_infrastructure_implementation",
    "300-415": "specialist_enterprise_sdwan_implementation",
    "300-420": "specialist_enterprise_design",
    "300-425": "specialist_enterprise_wireless_design",
    "300-430": "specialist_enterprise_wireless_implementation",
    "300-435": "specialist_enterprise_automation_and_programmability",
    "300-440": "specialist_enterprise_cloud_connectivity",
    "300-445": "specialist_enterprise_network_assurance",
}


@pytest.fixture(scope="module")
def catalogs():
    return load_catalogs()


def test_shipped_catalogs_hold_every_contract_id(catalogs):
    assert set(catalogs) == {"cisco", "juniper"}
    for program, ids in CONTRACT_IDS.items():
        assert ids <= {c.id for c in catalogs[program].certifications}


def test_cisco_validity_is_three_years_except_ccst(catalogs):
    cisco = catalogs["cisco"]
    assert cisco.certification("ccst_networking").validity_years is None
    assert {c.validity_years for c in cisco.certifications if c.id != "ccst_networking"} == {3}


def test_every_concentration_exam_has_its_specialist(catalogs):
    cisco = catalogs["cisco"]
    for code, specialist in CONCENTRATIONS.items():
        assert cisco.exam(code).kind == "concentration"
        assert cisco.certification(specialist).requirements.exam == code
    ccnp = cisco.certification("ccnp_enterprise").requirements
    assert ccnp.all_of[0].exam == "350-401"
    assert [alternative.exam for alternative in ccnp.all_of[1].one_of] == list(CONCENTRATIONS)


def test_juniper_track_is_a_chain_of_prerequisites(catalogs):
    juniper = catalogs["juniper"]
    assert [juniper.certification(i).prerequisites for i in ("jncia_junos", "jncis_ent", "jncip_ent", "jncie_ent")] == [
        [], ["jncia_junos"], ["jncis_ent"], ["jncip_ent"]
    ]
    assert {c.validity_years for c in juniper.certifications} == {3}


def test_every_certification_has_a_free_initial_kit_and_a_logo(catalogs):
    for catalog in catalogs.values():
        for cert in catalog.certifications:
            initial = [item for item in cert.kit if item.initial]
            assert initial and all(item.price_cents == 0 for item in initial)
            assert any(item.price_cents > 0 for item in cert.kit)
            assert cert.logo.primary.startswith("#")


GOOD = textwrap.dedent("""\
    program: demo
    name: Demo
    exams:
      - {code: A-1, title: Alpha, kind: written, level: associate, track: net}
      - {code: P-1, title: Pro, kind: core, level: professional, track: net}
    certifications:
      - id: alpha
        name: Alpha
        level: associate
        track: net
        validity_years: 3
        requirements: {exam: A-1}
        recertification:
          - {name: Ten CE, requires: {ce_credits: 10}}
        kit:
          - {sku: ALPHA-CERT, description: Alpha certificate, price_cents: 0, initial: true}
        logo: {primary: "#112233", secondary: "#445566"}
      - id: pro
        name: Pro
        level: professional
        track: net
        validity_years: 3
        prerequisites: [alpha]
        requirements:
          all_of:
            - exam: P-1
            - n_of: {n: 1, of: [{exam: A-1}, {ce_credits: 5}]}
        kit:
          - {sku: PRO-CERT, description: Pro certificate, price_cents: 0, initial: true}
        logo: {primary: "#112233", secondary: "#445566"}
""")


def line_of(text: str, marker: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if marker in line)


def problems_of(text: str) -> list[str]:
    with pytest.raises(CatalogError) as raised:
        parse_catalog(text, "demo.yaml")
    return raised.value.problems


def test_a_good_catalog_loads():
    catalog = parse_catalog(GOOD, "demo.yaml")
    assert [c.id for c in catalog.certifications] == ["alpha", "pro"]


@pytest.mark.parametrize("old, new, marker, words", [
    pytest.param("    track: net\n    validity_years: 3\n    prerequisites",
                 "    track: net\n    validity_year: 3\n    prerequisites", "validity_year:",
                 "Extra inputs are not permitted", id="unknown-field"),
    pytest.param("        - exam: P-1", "        - exam: P-9", "exam: P-9", "unknown exam 'P-9'", id="unknown-exam"),
    pytest.param("{exam: A-1}, {ce_credits: 5}", "{exam: A-1}, {ce_credit: 5}", "ce_credit: 5",
                 "exactly one of the keys", id="unknown-expression-form"),
    pytest.param("n_of: {n: 1,", "n_of: {n: 3,", "n_of: {n: 3", "n is 3 but only 2", id="n-of-too-many"),
    pytest.param("  - id: pro", "  - id: alpha", "  - id: alpha\n", "duplicate certification id 'alpha'", id="duplicate-id"),
    pytest.param("prerequisites: [alpha]", "prerequisites: [omega]", "prerequisites: [omega]",
                 "unknown certification 'omega'", id="unknown-prerequisite"),
    pytest.param("{sku: PRO-CERT, description: Pro certificate, price_cents: 0",
                 "{sku: PRO-CERT, description: Pro certificate, price_cents: 500", "price_cents: 500",
                 "initial kit costs 0", id="priced-initial-kit"),
    pytest.param("{name: Ten CE, requires: {ce_credits: 10}}", "{name: Ten CE, requires: {ce_credits: 10}}\n"
                 "      - {name: Lab, requires: {any_exam_of_kind: {kind: lab}}}", "kind: lab",
                 "only 0 exam(s) of the catalog match", id="selector-matching-no-exam"),
])
def test_a_bad_entry_is_named_by_file_and_line(old, new, marker, words):
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    if marker == "  - id: alpha\n":
        expected_line = [n for n, line in enumerate(text.splitlines(), 1) if line == "  - id: alpha"][1]
    else:
        expected_line = line_of(text, marker)
    problems = problems_of(text)
    assert any(p.startswith(f"demo.yaml, line {expected_line}: ") and words in p for p in problems), problems


def test_a_missing_field_names_the_line_of_its_entry():
    text = GOOD.replace("    validity_years: 3\n    prerequisites", "    prerequisites", 1)
    assert problems_of(text) == [
        f"demo.yaml, line {line_of(text, '- id: pro')}: certifications[1].validity_years: Field required"
    ]


def test_bad_colour_names_its_line():
    text = GOOD.replace('logo: {primary: "#112233"', 'logo: {primary: "blue"', 1)
    line = line_of(text, 'primary: "blue"')
    assert problems_of(text) == [f"demo.yaml, line {line}: certifications[0].logo.primary: "
                        "String should match pattern '^#[0-9A-Fa-f]{6}$'"]


def test_a_prerequisite_cycle_is_refused():
    text = GOOD.replace("    requirements: {exam: A-1}", "    prerequisites: [pro]\n    requirements: {exam: A-1}", 1)
    assert "prerequisites form a cycle: alpha -> pro -> alpha" in problems_of(text)[0]


def test_every_problem_is_listed():
    text = GOOD.replace("exam: P-1", "exam: P-9").replace('secondary: "#445566"', 'secondary: "#44556"', 1)
    problems = problems_of(text)
    assert len(problems) == 1  # pydantic stops the reference checks: the colour first
    fixed = text.replace('"#44556"', '"#445566"')
    assert problems_of(fixed.replace("requirements: {exam: A-1}", "requirements: {exam: A-2}")) == [
        f"demo.yaml, line {line_of(fixed, 'requirements: {exam: A-1}')}: certifications[0].requirements.exam: unknown exam 'A-2'",
        f"demo.yaml, line {line_of(fixed, 'exam: P-9')}: certifications[1].requirements.all_of[0].exam: unknown exam 'P-9'",
    ]


def test_yaml_syntax_error_names_its_line():
    text = GOOD.replace("    name: Alpha\n", "    name: [Alpha\n", 1)
    problems = problems_of(text)
    assert problems[0].startswith("demo.yaml, line ") and "not valid YAML" in problems[0]


def test_loading_a_file_names_the_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(GOOD.replace("kind: core", "kind: hard"))
    with pytest.raises(CatalogError) as raised:
        load_catalog(path)
    assert raised.value.problems[0].startswith(f"broken.yaml, line {line_of(GOOD, 'kind: core')}: exams[1].kind: ")
    assert "broken.yaml, line" in str(raised.value)
