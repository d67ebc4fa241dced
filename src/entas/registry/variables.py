"""Names of the Regsosek 2022 household variables, grouped as the family form groups them.

Pure (no Django), so the registry's forms and pages, the synthetic city and the proxy-means test
all read the same lists.
"""

HOUSING = [
    "building_ownership",
    "land_certificate",
    "floor_area_m2",
    "floor_material",
    "wall_material",
    "roof_material",
]
UTILITIES = [
    "water_source",
    "lighting",
    "power_va",
    "cooking_fuel",
    "toilet_facility",
    "toilet_type",
    "sewage_disposal",
]
ASSETS = [
    "has_lpg_5kg",
    "has_fridge",
    "has_ac",
    "has_water_heater",
    "has_landline",
    "has_tv",
    "has_gold",
    "has_computer",
    "has_motorcycle",
    "has_bicycle",
    "has_car",
    "has_boat",
    "has_motorboat",
    "has_smartphone",
]
PROPERTY = ["owns_land", "has_other_house"]
LIVESTOCK = ["cattle", "buffalo", "horses", "pigs", "goats"]
ACCESS = ["internet_access", "bank_account"]
# Washington Group functional-difficulty items (Regsosek 428a–j), member level.
DIFFICULTY = [
    "difficulty_seeing",
    "difficulty_hearing",
    "difficulty_walking",
    "difficulty_hands",
    "difficulty_learning",
    "difficulty_behaviour",
    "difficulty_speaking",
    "difficulty_selfcare",
    "difficulty_remembering",
    "difficulty_depression",
]
# A person's marital status, schooling, work, disability and health (Regsosek member level), in the
# order of the import format: the member columns after identity and relationship, and what a change
# request corrects besides the name, birth date and sex (registry.services.CORRECTABLE_FIELDS).
PERSON = [
    "marital_status",
    "pregnant",
    "school_participation",
    "school_level",
    "diploma",
    "worked",
    "work_hours",
    "industry",
    "employment_status",
    "business_count",
    *DIFFICULTY,
    "needs_caregiver",
    "chronic_illness",
    "health_insurance",
]
