"""The one-row paths give the same bits as the vectorised engine.

A patient with every term known is scored on Python floats (``riskmodel.one_row``); its
result must equal, bit for bit, what the vectorised path gives the same patient in a batch.
One patient's interval bisects on Python floats (``mixture._quantiles_one``), and the risks
"without each term" skip the interval they never use (``score_design(interval=False)``).
Both must leave every output bit for bit as the vectorised path computes it, for random
patients with missing inputs. Refused inputs never reach either path (the Patient refuses
them when it is built); the strategy draws them too and checks that they are refused.
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskmodel
from riskmodel import InvalidInputError, Patient, Quantity
from riskmodel.features import (
    BY_NAME,
    HISTOLOGIES,
    N_CATEGORIES,
    OUT_OF_SCOPE_STAGES,
    STAGES,
    T_CATEGORIES,
)
from riskmodel.inputs import M_CATEGORIES, canonical_table, raw_table
from riskmodel.marginal import rowdot
from riskmodel.mixture import quantiles
from riskmodel.one_row import score_one

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def maybe(strategy):
    return st.one_of(st.none(), strategy)


@st.composite
def labs(draw, name):
    feature = BY_NAME[name]
    value = draw(st.floats(0.0, 2 * feature.plausible[1], allow_nan=False))
    return Quantity(value, draw(st.sampled_from(feature.units)))


raw_patients = st.builds(
    dict, histology=maybe(st.sampled_from(HISTOLOGIES)),
    t_category=maybe(st.sampled_from(T_CATEGORIES)),
    n_category=maybe(st.sampled_from(N_CATEGORIES)),
    stage=maybe(st.sampled_from(STAGES + OUT_OF_SCOPE_STAGES)),
    bsp=maybe(st.sampled_from(BY_NAME["bsp"].categories)),
    m_category=maybe(st.sampled_from(M_CATEGORIES)),
    calcium=maybe(labs("calcium")), albumin=maybe(labs("albumin")), alp=maybe(labs("alp")),
    cea=maybe(labs("cea")))


def built(raw: dict) -> Patient | None:
    """The Patient, or None when the inputs are refused (they then reach no scoring path)."""
    try:
        return Patient(**raw)
    except InvalidInputError as error:
        problems = error.problems
    assert problems
    return None


@SETTINGS
@given(raw_patients)
def test_one_patient_scores_bit_for_bit_as_the_vectorised_batch(model, raw):
    patient = built(raw)
    if patient is None:
        return
    one = riskmodel.score(patient, model)
    # Two identical rows share one missing pattern, so its interval takes the vectorised path.
    batch = riskmodel.score_many([patient, patient], model)
    assert repr(one) == repr(batch[0]) == repr(batch[1])


@SETTINGS
@given(st.lists(raw_patients, min_size=1, max_size=6))
def test_scores_without_the_interval_leave_every_other_output_unchanged(model, raws):
    patients = [p for p in map(built, raws) if p is not None]
    if not patients:
        return
    design = model.design(canonical_table(raw_table(patients)))
    full = model.score_design(design.X, design.group)
    bare = model.score_design(design.X, design.group, interval=False)
    complete = ~np.isnan(design.X).any(axis=1)
    for field in dataclasses.fields(full):
        a, b = getattr(full, field.name), getattr(bare, field.name)
        if field.name in ("low", "high"):
            a, b = a[complete], b[complete]
        assert a.tobytes() == b.tobytes(), field.name


finite = st.floats(-30, 30, allow_nan=False)
# An SD is 0 or the root of a variance (never subnormal: the vectorised path would overflow).
spreads = st.one_of(st.floats(1e-6, 5), st.just(0.0))


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 40).flatmap(lambda m: st.tuples(
    st.lists(finite, min_size=m, max_size=m), st.lists(spreads, min_size=m, max_size=m),
    st.lists(st.floats(0.01, 1), min_size=m, max_size=m))))
def test_one_rows_quantiles_are_the_vectorised_bits(row):
    mu, sd, weights = (np.array(part) for part in row)
    weights = weights / weights.sum()
    one = quantiles(mu[None, :], sd[None, :], weights, 1.959963984540054)
    two = quantiles(np.vstack([mu, mu]), np.vstack([sd, sd]), weights, 1.959963984540054)
    assert one.tobytes() == two[:1].tobytes()


def test_a_patient_with_missing_inputs_takes_the_one_row_path(model, monkeypatch):
    calls = []
    import riskmodel.mixture as mixture

    original = mixture._quantiles_one
    monkeypatch.setattr(mixture, "_quantiles_one",
                        lambda *args: calls.append(1) or original(*args))
    riskmodel.score(Patient(histology="squamous"), model)
    assert calls
    with pytest.raises(InvalidInputError):
        Patient(stage="IV")


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 60).flatmap(lambda m: st.tuples(
    st.lists(st.floats(-1e6, 1e6), min_size=m, max_size=m),
    st.lists(st.floats(-1e3, 1e3), min_size=m, max_size=m))))
def test_one_rows_rowdot_is_the_vectorised_bits(row):
    a, v = (np.array(part) for part in row)
    assert rowdot(a[None, :], v).tobytes() == rowdot(np.vstack([a, a]), v)[:1].tobytes()


complete_patients = st.builds(
    dict, histology=st.sampled_from(HISTOLOGIES), t_category=st.sampled_from(T_CATEGORIES),
    n_category=st.sampled_from(N_CATEGORIES), stage=maybe(st.sampled_from(STAGES)),
    bsp=st.sampled_from(BY_NAME["bsp"].categories), m_category=maybe(st.just("M0")),
    calcium=labs("calcium"), albumin=maybe(labs("albumin")), alp=labs("alp"), cea=labs("cea"))


@pytest.fixture(scope="module", params=["1.0.0", "2.0.0"])
def each_model(request) -> riskmodel.Model:
    return riskmodel.load_model(version=request.param)


@SETTINGS
@given(st.one_of(complete_patients, raw_patients))
def test_every_model_scores_one_patient_as_the_vectorised_batch(each_model, raw):
    patient = built(raw)
    if patient is None:
        return
    one = riskmodel.score(patient, each_model)
    batch = riskmodel.score_many([patient, patient], each_model)
    assert repr(one) == repr(batch[0]) == repr(batch[1])


@SETTINGS
@given(complete_patients)
def test_a_complete_patient_takes_the_float_path(each_model, raw):
    patient = built(raw)
    if patient is None or patient.histology in BY_NAME["histology"].missing_codes \
            or patient.bsp in BY_NAME["bsp"].missing_codes \
            or patient.t_category in BY_NAME["t_category"].missing_codes \
            or patient.n_category in BY_NAME["n_category"].missing_codes:
        return
    one = score_one(each_model, patient)
    assert one is not None
    assert repr(riskmodel.score(patient, each_model)) == repr(
        riskmodel.score_many([patient, patient], each_model)[0])


def test_a_model_with_a_full_covariance_is_left_to_the_vectorised_path(model):
    spec = copy.deepcopy(model.spec)
    variances = [0.04] + [t.se ** 2 for t in model.terms]
    spec["interval"]["covariance"] = np.diag(variances).tolist()
    full = riskmodel.Model(spec)
    patient = Patient(histology="adenocarcinoma", t_category="T2a", n_category="N1",
                      bsp="negative", calcium=Quantity(2.4, "mmol/L"), alp=Quantity(90, "U/L"),
                      cea=Quantity(4.0, "ng/mL"))
    assert score_one(full, patient) is None
    assert score_one(model, patient) is not None
    assert repr(riskmodel.score(patient, full)) == repr(
        riskmodel.score_many([patient, patient], full)[0])


def test_completion_ids_stay_paired_with_their_support_when_threads_race():
    """The service's threads meet new (T, N, stage) keys at once: every id must point at the
    support of its own key."""
    import threading

    fresh = riskmodel.Model(riskmodel.load_model(version="2.0.0").spec)  # no id given yet
    keys = [(t, n, None) for t in ("T1", "T2", "T3", "TX", None) for n in ("N1", "N2", "NX", None)]
    supports = {key: fresh.completions.support(*key) for key in keys}
    keys = [key for key in keys if supports[key] is not None]
    varying = [key for key in keys if (supports[key][0].min(axis=0)
                                       != supports[key][0].max(axis=0)).any()]
    start = threading.Barrier(8)

    def claim() -> None:
        start.wait()
        for key in keys:
            fresh.staging_cell(key)

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [fresh.staging_cell(key)[1] for key in varying]
    assert sorted(ids) == list(range(len(varying)))
    assert len(fresh._joint.supports) == len(varying)
    assert all(all(np.array_equal(a, b) for a, b in zip(
        fresh._joint.supports[fresh.staging_cell(key)[1]], supports[key], strict=True))
        for key in varying)
    assert all(fresh.staging_cell(key)[1] == -1 for key in keys if key not in varying)


def test_scipys_scalar_ndtr_is_the_ufuncs_bits():
    """The one-row interval calls ``cython_special.ndtr`` on floats, the batch the ufunc."""
    from scipy.special import ndtr
    from scipy.special.cython_special import ndtr as scalar_ndtr

    rng = np.random.default_rng(20261130)
    values = np.concatenate([rng.normal(0, 3, 20_000), rng.normal(0, 40, 5_000),
                             [0.0, -0.0, np.inf, -np.inf, 5e-324, -38.5, 38.5, 8.3, -8.3]])
    scalar = np.array([scalar_ndtr(float(v)) for v in values])
    assert scalar.tobytes() == ndtr(values).tobytes()
