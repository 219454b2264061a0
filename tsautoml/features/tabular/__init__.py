"""Featurization and data guardrails for tabular classification and regression.

:func:`profile_columns` reads the kind of every column, :class:`TabularFeaturizer` turns a
table into a dense float64 matrix for tree or linear models, and :func:`check_guardrails`
reports what was found in the data and what was done about it.
"""

from tsautoml.features.tabular.featurizer import (
    FLAVORS,
    TARGET_TYPES,
    Flavor,
    TabularFeaturizer,
    TargetType,
)
from tsautoml.features.tabular.guardrails import (
    GUARDRAIL_NAMES,
    GUARDRAIL_STATUSES,
    Guardrail,
    GuardrailStatus,
    check_guardrails,
    guardrails_frame,
)
from tsautoml.features.tabular.kinds import (
    COLUMN_KINDS,
    ColumnKind,
    ColumnProfile,
    profile_columns,
)
from tsautoml.features.tabular.transformers import (
    BooleanEncoder,
    CategoricalCaster,
    DatetimeExpander,
    NumericCoercer,
    TextVectorizer,
)

__all__ = [
    "COLUMN_KINDS",
    "FLAVORS",
    "GUARDRAIL_NAMES",
    "GUARDRAIL_STATUSES",
    "TARGET_TYPES",
    "BooleanEncoder",
    "CategoricalCaster",
    "ColumnKind",
    "ColumnProfile",
    "DatetimeExpander",
    "Flavor",
    "Guardrail",
    "GuardrailStatus",
    "NumericCoercer",
    "TabularFeaturizer",
    "TargetType",
    "TextVectorizer",
    "check_guardrails",
    "guardrails_frame",
    "profile_columns",
]
