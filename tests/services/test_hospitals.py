"""HospitalService: admin edits, CSV import with bad rows, suggestions by haversine distance."""

from __future__ import annotations

import pytest

from dermstation.core.errors import PermissionDenied, ValidationError
from dermstation.services.container import Services
from dermstation.services.hospitals import SAMPLE_DIRECTORY, haversine_km, parse_location
from dermstation.services.reception_types import HospitalInput
from dermstation.services.specialties import specialties_for_diagnosis
from dermstation.services.types import CurrentUser

BERLIN = (52.5200, 13.4050)


@pytest.fixture
def hospitals(services: Services, admin: CurrentUser):  # type: ignore[no-untyped-def]
    store = services.settings_store
    store.save(admin, store.load().with_changes(clinic_latitude=BERLIN[0], clinic_longitude=BERLIN[1]))
    return services.reception.hospitals


def entry(name: str, lat: float | None, lon: float | None, *specialties: str, accepts: bool = True) -> HospitalInput:
    return HospitalInput(
        name=name, city="X", latitude=lat, longitude=lon, specialties=specialties or ("dermatology",),
        accepts_referrals=accepts,
    )


def test_haversine_known_distances() -> None:
    assert haversine_km(*BERLIN, *BERLIN) == 0
    assert haversine_km(52.5200, 13.4050, 48.1351, 11.5820) == pytest.approx(504, abs=2)  # Berlin-Munich
    assert haversine_km(51.5074, -0.1278, 40.7128, -74.0060) == pytest.approx(5570, abs=10)  # London-NYC
    assert haversine_km(0, 179.5, 0, -179.5) == pytest.approx(111.2, abs=0.5)  # across the date line


def test_parse_location() -> None:
    assert parse_location("52.52, 13.40") == (52.52, 13.40)
    assert parse_location(" 52,52 ; 13,40 ") == (52.52, 13.40)
    assert parse_location("-33.9 151.2") == (-33.9, 151.2)
    for bad in ("Berlin", "95, 10", "52.5"):
        with pytest.raises(ValidationError):
            parse_location(bad)


def test_admin_adds_edits_retires_others_may_not(hospitals, admin, receptionist) -> None:  # type: ignore[no-untyped-def]
    h = hospitals.add(admin, entry(" Near Clinic ", 52.53, 13.41, "Mohs surgery"))
    assert (h.name, h.specialties, h.sample) == ("Near Clinic", ("mohs_surgery",), False)
    with pytest.raises(PermissionDenied):
        hospitals.add(receptionist, entry("Other", None, None))
    edited = hospitals.edit(admin, h.id, entry("Near Clinic", 52.53, 13.41, "dermatology", "mohs_surgery"))
    assert edited.specialties == ("dermatology", "mohs_surgery")
    hospitals.retire(admin, h.id)
    assert hospitals.list(receptionist) == []
    assert [x.id for x in hospitals.list(admin, include_retired=True)] == [h.id]
    with pytest.raises(ValidationError) as info:
        hospitals.add(admin, entry("Bad", 91, 10))
    assert info.value.field == "latitude"
    with pytest.raises(ValidationError) as info:
        hospitals.add(admin, HospitalInput(name="Bad", email="nope", specialties=("dermatology",)))
    assert info.value.field == "email"
    with pytest.raises(ValidationError) as info:
        hospitals.add(admin, HospitalInput(name="Bad", specialties=("astrology",)))
    assert info.value.field == "specialties"


def test_suggestions_filter_by_diagnosis_and_sort_by_distance(hospitals, admin, receptionist) -> None:  # type: ignore[no-untyped-def]
    hospitals.add(admin, entry("Munich Onco", 48.1351, 11.5820, "dermato_oncology"))
    hospitals.add(admin, entry("Potsdam Onco", 52.3906, 13.0645, "dermato_oncology", "dermatology"))
    hospitals.add(admin, entry("Hamburg Onco", 53.5511, 9.9937, "dermato_oncology"))
    hospitals.add(admin, entry("Nowhere Onco", None, None, "dermato_oncology"))
    hospitals.add(admin, entry("Berlin Mohs", 52.52, 13.39, "mohs_surgery"))
    hospitals.add(admin, entry("Closed Onco", 52.52, 13.40, "dermato_oncology", accepts=False))
    found = hospitals.suggest(receptionist, diagnosis="mel")
    assert [s.hospital.name for s in found] == ["Potsdam Onco", "Hamburg Onco", "Munich Onco", "Nowhere Onco"]
    assert found[0].distance_km == pytest.approx(26.6, abs=1)
    assert found[-1].distance_km is None
    # from a typed location (Munich) the order turns round
    found = hospitals.suggest(receptionist, diagnosis="mel", origin=(48.14, 11.58))
    assert [s.hospital.name for s in found][:3] == ["Munich Onco", "Potsdam Onco", "Hamburg Onco"]
    assert [s.hospital.name for s in hospitals.suggest(receptionist, diagnosis="bcc")] == ["Berlin Mohs", "Potsdam Onco"]
    assert "Closed Onco" in [s.hospital.name for s in hospitals.suggest(receptionist, include_all=True)]


def test_diagnosis_to_specialty_mapping() -> None:
    assert specialties_for_diagnosis("mel") == ("dermato_oncology",)
    assert specialties_for_diagnosis("BCC") == ("mohs_surgery", "dermatology")
    assert specialties_for_diagnosis("akiec") == ("mohs_surgery", "dermatology")
    assert specialties_for_diagnosis("nv") == ("dermatology",)


CSV_WITH_BAD_ROWS = """name;city;latitude;longitude;specialties;accepts_referrals;email
Good One;Berlin;52,5;13,4;dermatology;yes;a@example.org
;Berlin;52.5;13.4;dermatology;yes;
Bad Latitude;Berlin;north;13.4;dermatology;yes;
Bad Specialty;Berlin;52.5;13.4;astrology|dermatology;yes;
Bad Flag;Berlin;52.5;13.4;dermatology;perhaps;
Good Two;Hamburg;;;dermato-oncology|Mohs surgery;no;
Good One;Berlin;52.5;13.4;dermatology;yes;
"""


def test_csv_import_keeps_valid_rows_and_reports_bad_ones(hospitals, admin) -> None:  # type: ignore[no-untyped-def]
    report = hospitals.import_csv(admin, CSV_WITH_BAD_ROWS.encode("utf-8"))
    assert (report.added, report.updated) == (2, 0)
    assert {(e.row, e.field) for e in report.errors} == {
        (3, "name"), (4, "latitude"), (5, "specialties"), (6, "accepts_referrals"), (8, "name"),
    }
    assert report.rejected_rows == 5
    assert "row 2" in next(e.message for e in report.errors if e.row == 8)
    names = {h.name: h for h in hospitals.list(admin)}
    assert set(names) == {"Good One", "Good Two"}
    assert names["Good One"].latitude == 52.5
    assert names["Good Two"].specialties == ("dermato_oncology", "mohs_surgery")
    assert not names["Good Two"].accepts_referrals
    # importing again updates instead of duplicating
    again = hospitals.import_csv(admin, "name,city,specialties\nGood One,Berlin,phototherapy\n")
    assert (again.added, again.updated, again.errors) == (0, 1, ())
    assert hospitals.list(admin, text="good one")[0].specialties == ("phototherapy",)


def test_csv_header_problems_import_nothing(hospitals, admin, receptionist) -> None:  # type: ignore[no-untyped-def]
    assert hospitals.import_csv(admin, b"city,phone\nBerlin,1\n").errors[0].field == "name"
    assert hospitals.import_csv(admin, b"name,colour\nA,red\n").errors[0].field == "colour"
    assert hospitals.import_csv(admin, "name\nA\n".encode("utf-16")).errors[0].row == 1
    assert hospitals.import_csv(admin, b"").errors
    assert hospitals.list(admin) == []
    with pytest.raises(PermissionDenied):
        hospitals.import_csv(receptionist, b"name,specialties\nA,dermatology\n")


def test_csv_export_round_trips(hospitals, admin) -> None:  # type: ignore[no-untyped-def]
    hospitals.add(admin, HospitalInput(name='Comma, "Quote" Clinic', city="Köln", latitude=50.9, longitude=6.9,
                                       specialties=("dermatology", "phototherapy"), address="Line 1\nLine 2"))
    text = hospitals.export_csv(admin)
    assert text.splitlines()[0].startswith("name,address,city")
    hospitals.retire(admin, hospitals.list(admin)[0].id)
    report = hospitals.import_csv(admin, text)
    assert (report.added, report.updated, report.errors) == (0, 1, ())
    (h,) = hospitals.list(admin)
    assert (h.name, h.address, h.specialties, h.latitude) == (
        'Comma, "Quote" Clinic', "Line 1\nLine 2", ("dermatology", "phototherapy"), 50.9
    )


def test_sample_directory_loads_once_and_is_marked(hospitals, admin, receptionist) -> None:  # type: ignore[no-untyped-def]
    loaded = hospitals.load_sample_directory_if_empty(admin)
    assert 10 <= loaded <= 15
    rows = hospitals.list(receptionist)
    assert all(h.sample and h.name.endswith("(sample)") for h in rows)
    assert all(h.email.endswith(".example.org") for h in rows)
    assert hospitals.load_sample_directory_if_empty(admin) == 0
    nearest = hospitals.suggest(receptionist, diagnosis="mel")[0]
    assert nearest.hospital.city == "Berlin" and nearest.distance_km < 5
    assert hospitals.retire_samples(admin) == loaded
    assert hospitals.list(receptionist) == []
    assert SAMPLE_DIRECTORY.exists()
