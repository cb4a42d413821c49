"""Feature lists and vocabularies of the examples' datasets, written inline (nothing is downloaded).

Where the example computes a vocabulary from the data (`data[f].unique()`), the
size used here is the dataset's documented number of distinct values; the
values are placeholders (`class_of_worker_0`, ...) except where short real ones
are known. Parameter counts depend only on the sizes.
"""

from __future__ import annotations


def tokens(feature: str, size: int) -> list[str]:
    return [f"{feature}_{i}" for i in range(size)]


# ---- Covertype (wide_deep_cross_networks) ------------------------------------------
COVTYPE_NUMERIC = [
    "Aspect",
    "Elevation",
    "Hillshade_3pm",
    "Hillshade_9am",
    "Hillshade_Noon",
    "Horizontal_Distance_To_Fire_Points",
    "Horizontal_Distance_To_Hydrology",
    "Horizontal_Distance_To_Roadways",
    "Slope",
    "Vertical_Distance_To_Hydrology",
]
COVTYPE_CATEGORICAL = {
    "Soil_Type": [f"soil_type_{i + 1}" for i in range(40)],
    "Wilderness_Area": [f"area_type_{i + 1}" for i in range(4)],
}
COVTYPE_CLASSES = 7

# ---- Adult / census income (tabtransformer) -----------------------------------------
ADULT_NUMERIC = ["age", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
ADULT_CATEGORICAL_SIZES = {
    "workclass": 9,
    "education": 16,
    "marital_status": 7,
    "occupation": 15,
    "relationship": 6,
    "race": 5,
    "gender": 2,
    "native_country": 42,
}

# ---- Census-Income KDD (grn_and_vsn, its tuning variant, tfdf) ------------------------
KDD_NUMERIC = [
    "age",
    "wage_per_hour",
    "capital_gains",
    "capital_losses",
    "dividends_from_stocks",
    "num_persons_worked_for_employer",
    "weeks_worked_in_year",
]
# In CSV_HEADER order, as the examples' dict comprehension walks it.
KDD_CATEGORICAL_SIZES = {
    "class_of_worker": 9,
    "detailed_industry_recode": 52,
    "detailed_occupation_recode": 47,
    "education": 17,
    "enroll_in_edu_inst_last_wk": 3,
    "marital_stat": 7,
    "major_industry_code": 24,
    "major_occupation_code": 15,
    "race": 5,
    "hispanic_origin": 10,
    "sex": 2,
    "member_of_a_labor_union": 3,
    "reason_for_unemployment": 6,
    "full_or_part_time_employment_stat": 8,
    "tax_filer_stat": 6,
    "region_of_previous_residence": 6,
    "state_of_previous_residence": 51,
    "detailed_household_and_family_stat": 38,
    "detailed_household_summary_in_household": 8,
    "migration_code-change_in_msa": 10,
    "migration_code-change_in_reg": 9,
    "migration_code-move_within_reg": 10,
    "live_in_this_house_1_year_ago": 3,
    "migration_prev_res_in_sunbelt": 4,
    "family_members_under_18": 5,
    "country_of_birth_father": 43,
    "country_of_birth_mother": 43,
    "country_of_birth_self": 43,
    "citizenship": 5,
    "own_business_or_self_employed": 3,
    "fill_inc_questionnaire_for_veterans_admin": 3,
    "veterans_benefits": 3,
    "year": 2,
}
KDD_CATEGORICAL = {name: tokens(name, size) for name, size in KDD_CATEGORICAL_SIZES.items()}
# The examples' FEATURE_NAMES: numeric first, then the categorical ones.
KDD_FEATURES = KDD_NUMERIC + list(KDD_CATEGORICAL)

# ---- Cleveland heart disease (from_scratch, feature_space) -----------------------------
HEART_NUMERIC = ["age", "trestbps", "thalach", "oldpeak", "slope", "chol"]
# Sizes give FeatureSpace's documented 138-wide encoding with num_oov_indices=0.
HEART_INT_CATEGORICAL = {
    "sex": [0, 1],
    "cp": [0, 1, 2, 3, 4],
    "fbs": [0, 1],
    "restecg": [0, 1, 2],
    "exang": [0, 1],
    "ca": [0, 1, 2, 3],
}
HEART_STRING_CATEGORICAL = {"thal": ["1", "2", "fixed", "normal", "reversible"]}
# COLUMN_NAMES order of the categorical columns (the examples iterate it).
HEART_CATEGORICAL = {**HEART_INT_CATEGORICAL, **HEART_STRING_CATEGORICAL}

# ---- Bank marketing (feature_space_advanced) -------------------------------------------
BANK_STRING_CATEGORICAL = {
    "marital": ["divorced", "married", "single", "unknown"],
    "education": [
        "basic.4y",
        "basic.6y",
        "basic.9y",
        "high.school",
        "illiterate",
        "professional.course",
        "university.degree",
        "unknown",
    ],
    "default": ["no", "unknown", "yes"],
    "housing": ["no", "unknown", "yes"],
    "loan": ["no", "unknown", "yes"],
    "contact": ["cellular", "telephone"],
    "month": ["apr", "aug", "dec", "jul", "jun", "mar", "may", "nov", "oct", "sep"],
    "day_of_week": ["fri", "mon", "thu", "tue", "wed"],
    "poutcome": ["failure", "nonexistent", "success"],
}
BANK_JOBS = [
    "admin.",
    "blue-collar",
    "entrepreneur",
    "housemaid",
    "management",
    "retired",
    "self-employed",
    "services",
    "student",
    "technician",
    "unemployed",
    "unknown",
]
BANK_NORMALIZED = [
    "campaign",
    "previous",
    "emp.var.rate",
    "cons.price.idx",
    "cons.conf.idx",
    "euribor3m",
    "nr.employed",
]

# ---- MovieLens ------------------------------------------------------------------------
ML_LATEST_SMALL_USERS = 610  # collaborative_filtering_movielens
ML_LATEST_SMALL_MOVIES = 9724
ML_1M_MOVIES = 3883  # movielens_recommendations_transformers
ML_1M_USERS = 6040
ML_1M_SEX = ["F", "M"]
ML_1M_AGE_GROUPS = [f"group_{a}" for a in (1, 18, 25, 35, 45, 50, 56)]
ML_1M_OCCUPATIONS = [f"occupation_{i}" for i in range(21)]
